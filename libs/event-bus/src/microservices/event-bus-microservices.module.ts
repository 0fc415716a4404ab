import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventBusServer } from './event-bus.server';
import { EventBusClient } from './event-bus.client';

/**
 * `EventBusServer` and `EventBusClient` for an application on `@nestjs/microservices`. Import it
 * beside `EventBusModule.forRoot()`, which it builds on; it is separate so that the bus itself
 * does not need `@nestjs/microservices` installed.
 *
 * @example
 * @Module({ imports: [EventBusModule.forRoot({ serviceId: 'order-service' }), EventBusMicroservicesModule] })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [EventBusServer, EventBusClient],
  exports: [EventBusServer, EventBusClient],
})
export class EventBusMicroservicesModule {}
