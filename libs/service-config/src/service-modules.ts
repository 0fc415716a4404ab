import type { DynamicModule, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventBusModule, type InMemoryBroker } from '@nestbus/event-bus';
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
  config: ServiceConfig;
  /** Share a broker with other applications of this process (demo, tests). */
  broker?: InMemoryBroker;
  /** The service's own entities and migrations; the event bus's are added. */
  entities: Function[]; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[]; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
}

/**
 * What every service of this repository imports: its database (with the event-bus tables), the
 * event bus, the HTTP edge (JSON body checks, 503 on an unavailable database), GET /health,
 * GET /metrics and GET /events/:id/trace.
 */
export function serviceModules(options: ServiceModulesOptions): Array<DynamicModule | Type> {
  return [
    // forRootAsync: forRoot's process-wide name check warns about the other app's data source
    // when the demo or a test runs both services in one process.
    TypeOrmModule.forRootAsync({
      useFactory: () =>
        typeOrmOptionsFor(options.config.database, options.entities, options.migrations),
    }),
    EventBusModule.forRoot(eventBusOptionsFor(options.config, options.broker)),
    ServiceHttpModule.forRoot({
      maxBodyBytes: options.config.httpMaxBodyBytes ?? DEFAULT_HTTP_MAX_BODY_BYTES,
    }),
    ServiceHealthModule,
    ServiceObservabilityModule,
  ];
}
