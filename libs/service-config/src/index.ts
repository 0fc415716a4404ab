export {
  typeOrmOptionsFor,
  eventBusOptionsFor,
  DEFAULT_DATABASE_LIMITS,
  DEFAULT_HTTP_MAX_BODY_BYTES,
} from './service-config';
export type { DatabaseConfig, DatabaseLimits, ServiceConfig } from './service-config';
export { ServiceEnvironment, toServiceConfig } from './environment/service.environment';
export { EnvironmentVariable, IsAboveVariable } from './environment/environment-variable.decorator';
export type { VariableRule } from './environment/environment-variable.decorator';
export {
  EnvironmentError,
  readerOf,
  validateEnvironment,
} from './environment/environment.validation';
export type { EnvironmentReader } from './environment/environment.validation';
export {
  SERVICE_CONFIG,
  ServiceConfigModule,
  loadServiceConfig,
} from './environment/service-config.module';
export type { ServiceSchema } from './environment/service-config.module';
export { BoundedPgClient } from './bounded-pg-client';
export { ServiceHttpModule } from './http/service-http.module';
export type { ServiceHttpOptions } from './http/service-http.module';
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
