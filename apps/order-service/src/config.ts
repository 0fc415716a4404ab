import { loadServiceConfig, ServiceConfig } from '@nestbus/service-config';

export type OrderServiceConfig = ServiceConfig;

/** Reads order-service's settings from the environment; a bad value fails startup naming it. */
export function loadOrderServiceConfig(env: NodeJS.ProcessEnv): OrderServiceConfig {
  return loadServiceConfig(env, {
    port: 3002,
    serviceId: 'order-service',
    sqlitePath: './data/order-service.sqlite',
  });
}
