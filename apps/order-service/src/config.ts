import {
  loadServiceConfig,
  ServiceConfig,
  ServiceEnvironment,
  ServiceSchema,
  toServiceConfig,
} from '@nestbus/service-config';

export type OrderServiceConfig = ServiceConfig;

/** order-service's variables: the shared ones, with its own defaults. */
export class OrderServiceEnvironment extends ServiceEnvironment {
  override PORT = 3002;
  override SERVICE_ID = 'order-service';
  override DATABASE_URL = './data/order-service.sqlite';
}

/** What main.ts validates the process environment against (ConfigModule). */
export const ORDER_SERVICE_SCHEMA: ServiceSchema<OrderServiceEnvironment, OrderServiceConfig> = {
  environment: OrderServiceEnvironment,
  toConfig: toServiceConfig,
};

/** order-service's settings from an environment record; a bad value throws, naming it. */
export function loadOrderServiceConfig(
  env: Record<string, string | undefined>,
): OrderServiceConfig {
  return loadServiceConfig(ORDER_SERVICE_SCHEMA, env);
}
