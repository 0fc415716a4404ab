import { loadOrderServiceConfig } from './config';

describe('loadOrderServiceConfig', () => {
  it("applies order-service's defaults", () => {
    expect(loadOrderServiceConfig({})).toMatchObject({
      port: 3002,
      serviceId: 'order-service',
      database: { type: 'sqlite', path: './data/order-service.sqlite' },
    });
  });

  it('reads the shared variables', () => {
    expect(loadOrderServiceConfig({ PORT: '8080', SERVICE_ID: 'orders-2' })).toMatchObject({
      port: 8080,
      serviceId: 'orders-2',
    });
  });
});
