import type { DynamicModule } from '@nestjs/common';
import { DiscoveryService, NestFactory } from '@nestjs/core';
import { InMemoryBroker } from '@nestbus/event-bus';
import {
  EVENT_BUS_RESOLVED_OPTIONS,
  EVENT_UPCASTER_METADATA,
  EventTypeRegistry,
  HandlerRegistry,
  type EventDefinition,
  type ResolvedEventBusOptions,
} from '@nestbus/event-bus/operations';
import { AppModule as UserServiceModule, loadUserServiceConfig } from '@nestbus/user-service';
import { AppModule as OrderServiceModule, loadOrderServiceConfig } from '@nestbus/order-service';

/** One `@EventSubscribe` handler of a service, as its bus registered it. */
export interface ServiceHandler {
  /** The handler's id (the inbox key), e.g. `ProfileProjector.onUserRegistered`. */
  id: string;
  group: string;
  event: EventDefinition;
}

/** What one service's bus knows once its module has started. */
export interface ServiceEvents {
  serviceId: string;
  /** Every event class the service registered (`forFeature({ events })` and its handlers'). */
  registered: EventDefinition[];
  handlers: ServiceHandler[];
  /** The steps of the `@Upcaster()` providers of the service: `type` from `fromVersion` up one. */
  upcasts: Array<{ type: string; fromVersion: number }>;
}

const OFFLINE = {
  database: { type: 'sqlite', path: ':memory:' },
  relayEnabled: false,
  traceSampleRate: 0,
} as const;

/**
 * The services of this repository, each booted as its main.ts would, minus the outside world: the
 * service's own defaults (`load…Config({})` reads no environment, so no EVENT_TOPIC_PREFIX and the
 * default SERVICE_ID), an in-memory broker, SQLite in memory, no relay and no trace log.
 */
const SERVICES: Array<() => DynamicModule> = [
  () =>
    UserServiceModule.forRoot({
      ...loadUserServiceConfig({}),
      ...OFFLINE,
      broker: new InMemoryBroker(),
    }),
  () =>
    OrderServiceModule.forRoot({
      ...loadOrderServiceConfig({}),
      ...OFFLINE,
      broker: new InMemoryBroker(),
    }),
];

/**
 * What each service sends and receives, read from its running bus rather than from a list kept
 * by hand: a handler or event class added to a service shows up here by itself.
 */
export async function readServiceEvents(): Promise<ServiceEvents[]> {
  const services: ServiceEvents[] = [];
  // One at a time: each context is closed before the next starts, so nothing leaks between them.
  for (const service of SERVICES) services.push(await readService(service()));
  return services;
}

async function readService(module: DynamicModule): Promise<ServiceEvents> {
  // abortOnError false: a service that fails to start rejects here instead of exiting the CLI.
  const app = await NestFactory.createApplicationContext(module, {
    logger: false,
    abortOnError: false,
  });
  try {
    const options = app.get<ResolvedEventBusOptions>(EVENT_BUS_RESOLVED_OPTIONS, {
      strict: false,
    });
    const providers = app
      .get(DiscoveryService, { strict: false })
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is object => !!instance && typeof instance === 'object');
    return {
      serviceId: options.serviceId,
      registered: app.get(EventTypeRegistry, { strict: false }).all(),
      handlers: app
        .get(HandlerRegistry, { strict: false })
        .all()
        .map(({ id, group, event }) => ({ id, group, event })),
      // Found as the bus's explorer finds them, so these are the steps this service can take.
      upcasts: providers
        .map((instance) => Reflect.getMetadata(EVENT_UPCASTER_METADATA, instance.constructor))
        .filter((step): step is ServiceEvents['upcasts'][number] => !!step),
    };
  } finally {
    await app.close();
  }
}
