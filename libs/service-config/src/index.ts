export { loadServiceConfig, typeOrmOptionsFor, eventBusOptionsFor } from './service-config';
export type { DatabaseConfig, ServiceConfig, ServiceDefaults } from './service-config';
export { bootstrapService } from './bootstrap';
export { ServiceHealthModule, HealthController } from './health.controller';
export { validationPipeProvider } from './validation';
export { ServiceObservabilityModule, EventTraceController } from './observability.module';
export type { EventTraceResponse } from './observability.module';
export { serviceModules } from './service-modules';
export type { ServiceModulesOptions } from './service-modules';
