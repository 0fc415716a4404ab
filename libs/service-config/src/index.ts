export {
  loadServiceConfig,
  typeOrmOptionsFor,
  eventBusOptionsFor,
  DEFAULT_DATABASE_LIMITS,
  DEFAULT_HTTP_MAX_BODY_BYTES,
} from './service-config';
export type {
  DatabaseConfig,
  DatabaseLimits,
  ServiceConfig,
  ServiceDefaults,
} from './service-config';
export { BoundedPgClient } from './bounded-pg-client';
export { ServiceHttpModule } from './http/service-http.module';
export { ServiceExceptionFilter, RETRY_AFTER_SECONDS } from './http/service-exception.filter';
export type { UnavailableResponse } from './http/service-exception.filter';
export { isUnavailable } from './http/unavailable';
export { JsonBodyMiddleware } from './http/json-body.middleware';
export { exceedsDepth, MAX_JSON_DEPTH } from './http/json-depth';
export { bootstrapService } from './bootstrap';
export {
  ServiceHealthModule,
  HealthController,
  HEALTH_CHECK_TIMEOUT_MS,
} from './health.controller';
export { validationPipeProvider } from './validation';
export { ServiceObservabilityModule, EventTraceController } from './observability.module';
export type { EventTraceResponse } from './observability.module';
export { serviceModules } from './service-modules';
export type { ServiceModulesOptions } from './service-modules';
