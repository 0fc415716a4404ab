import { EnvironmentError } from '@nestbus/service-config';
import { loadUserServiceConfig } from './config';
import { DEFAULT_SCRYPT_COST } from './users/password.hasher';

describe('loadUserServiceConfig', () => {
  it("applies user-service's defaults", () => {
    expect(loadUserServiceConfig({})).toMatchObject({
      port: 3001,
      serviceId: 'user-service',
      database: { type: 'sqlite', path: './data/user-service.sqlite' },
      scryptCost: DEFAULT_SCRYPT_COST,
    });
  });

  it.each(['1024', '65536', '1048576'])('reads PASSWORD_SCRYPT_COST=%s', (cost) => {
    expect(loadUserServiceConfig({ PASSWORD_SCRYPT_COST: cost }).scryptCost).toBe(Number(cost));
  });

  it.each(['512', '1000', '2097152', '1024.5', 'cheap'])(
    'refuses PASSWORD_SCRYPT_COST=%s, naming it',
    (cost) => {
      expect(() => loadUserServiceConfig({ PASSWORD_SCRYPT_COST: cost })).toThrow(
        new EnvironmentError([
          `PASSWORD_SCRYPT_COST must be a power of two from 1024 to 1048576, got "${cost}".`,
        ]),
      );
    },
  );
});
