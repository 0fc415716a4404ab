import type { ServiceConfig } from '../../service-config';
import type { ServiceSchema } from '../service-config.module';
import { ServiceEnvironment, toServiceConfig } from '../service.environment';

/** A service's schema for the specs: the shared variables, with a service's own defaults. */
export class TestEnvironment extends ServiceEnvironment {
  override PORT = 3001;
  override SERVICE_ID = 'svc';
  override DATABASE_URL = './svc.sqlite';
}

export const TEST_SCHEMA: ServiceSchema<TestEnvironment, ServiceConfig> = {
  environment: TestEnvironment,
  toConfig: toServiceConfig,
};
