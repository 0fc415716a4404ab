/**
 * @nestbus/event-bus/microservices: the bus as a `@nestjs/microservices` transport. `@EventPattern`
 * handlers served by `EventBusServer` and `ClientProxy.emit` calls on `EventBusClient` keep their
 * code and gain the outbox, the inbox, retries, dead letters and order per key. Needs
 * `@nestjs/microservices` installed.
 */
export { EventBusMicroservicesModule } from './microservices/event-bus-microservices.module';
export { EventBusServer } from './microservices/event-bus.server';
export type { EventPatternExtras } from './microservices/event-bus.server';
export { EventBusClient } from './microservices/event-bus.client';
export { EventBusContext } from './microservices/event-bus.context';
