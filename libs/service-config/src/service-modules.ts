import type { DynamicModule, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventBusModule, type InMemoryBroker } from '@nestbus/event-bus';
import { SERVICE_CONFIG } from './environment/service-config.module';
import { ServiceHealthModule } from './health.controller';
import { ServiceHttpModule } from './http/service-http.module';
import { ServiceObservabilityModule } from './observability.module';
import {
  DEFAULT_HTTP_MAX_BODY_BYTES,
  eventBusOptionsFor,
  typeOrmOptionsFor,
  type ServiceConfig,
} from './service-config';

export interface ServiceModulesOptions {
  /**
   * Provides SERVICE_CONFIG: `ServiceConfigModule.forConfig(config)` (tests, demo) or
   * `await ServiceConfigModule.forEnvironment(schema)` (the service's main.ts).
   */
  config: DynamicModule;
  /** Share a broker with other applications of this process (demo, tests). */
  broker?: InMemoryBroker;
  /** The service's own entities and migrations; the event bus's are added. */
  entities: Function[]; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[]; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
}

/**
 * What every service of this repository imports: its settings, its database (with the event-bus
 * tables), the event bus, the HTTP edge (JSON body checks, 503 on an unavailable database),
 * GET /health, GET /metrics and GET /events/:id/trace. Each reads SERVICE_CONFIG.
 */
export function serviceModules(options: ServiceModulesOptions): Array<DynamicModule | Type> {
  return [
    options.config,
    // forRootAsync also keeps forRoot's process-wide name check from warning about the other
    // app's data source when the demo or a test runs both services in one process.
    TypeOrmModule.forRootAsync({
      inject: [SERVICE_CONFIG],
      useFactory: (config: ServiceConfig) =>
        typeOrmOptionsFor(config.database, options.entities, options.migrations),
    }),
    EventBusModule.forRootAsync({
      inject: [SERVICE_CONFIG],
      useFactory: (config: ServiceConfig) => eventBusOptionsFor(config, options.broker),
    }),
    ServiceHttpModule.forRootAsync({
      inject: [SERVICE_CONFIG],
      useFactory: (config: ServiceConfig) => ({
        maxBodyBytes: config.httpMaxBodyBytes ?? DEFAULT_HTTP_MAX_BODY_BYTES,
      }),
    }),
    ServiceHealthModule,
    ServiceObservabilityModule,
  ];
}
