import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import {
  EVENT_BUS_BUILT_IN_INTERCEPTORS,
  EVENT_BUS_RESOLVED_OPTIONS,
  EVENT_BUS_SCHEDULER,
  EVENT_TRANSPORT,
} from './event-bus.constants';
import {
  EVENT_BUS_MODULE_OPTIONS,
  EventBusConfigurableModule,
} from './event-bus.module-definition';
import { resolveEventBusOptions } from './options/resolve-event-bus-options';
import type {
  EventBusModuleOptions,
  ResolvedEventBusOptions,
} from './interfaces/event-bus-options.interface';
import type { EventUpcaster } from './decorators/upcaster.decorator';
import { createTransport } from './transports/transport.factory';
import { EventBusMetadataAccessor } from './discovery/event-bus-metadata.accessor';
import { EventBusExplorer } from './discovery/event-bus.explorer';
import { NestHandlerFactory } from './discovery/nest-handler.factory';
import { HandlerRegistry } from './discovery/handler.registry';
import { EventTypeRegistry } from './envelope/event-type.registry';
import { UpcasterRegistry } from './envelope/upcaster.registry';
import { CloudEventCodec } from './envelope/cloud-event.codec';
import { InterceptorChain } from './interceptors/interceptor-chain';
import { OutboxRelay } from './outbox/outbox.relay';
import { OutboxCommits } from './outbox/outbox-commits';
import { InboxConsumer } from './inbox/inbox.consumer';
import { DeadLetterPublisher } from './consumer/dead-letter.publisher';
import { RecordProcessor } from './consumer/record-processor';
import { DependencyOutage } from './consumer/dependency-outage';
import { RouteStep } from './consumer/pipeline/route.step';
import { RecordPreparer } from './consumer/pipeline/record-preparer';
import { DecodeStep } from './consumer/pipeline/decode.step';
import { UpcastStep } from './consumer/pipeline/upcast.step';
import { ValidateStep } from './consumer/pipeline/validate.step';
import { FailurePolicyRunner } from './consumer/failure-policy.runner';
import { TransactionBatchProcessor } from './consumer/transaction-batch.processor';
import { EventConsumer } from './consumer/event-consumer';
import { EventPublisher } from './event-bus.publisher';
import { LocalEventDispatcher } from './local/local-event.dispatcher';
import { EventBusOrchestrator } from './event-bus.orchestrator';
import { EventBusMaintenance } from './event-bus.maintenance';
import { EventBusHealthIndicator } from './observability/event-bus.health';
import { EventBusMetrics } from './observability/event-bus.metrics';
import { MetricsInterceptor } from './observability/metrics.interceptor';
import { TracingInterceptor } from './observability/tracing.interceptor';
import { TraceLogInterceptor } from './observability/trace-log.interceptor';

/** What a feature module registers with `EventBusModule.forFeature()`. */
export interface EventBusFeatureOptions {
  /** Event classes this module publishes or consumes (registered at startup). */
  events?: Type<object>[];
  /** `@Upcaster()` classes; they may inject providers of `imports` and of global modules. */
  upcasters?: Type<EventUpcaster>[];
  /** Modules whose exported providers the upcasters inject. */
  imports?: Array<Type<unknown> | DynamicModule>;
}

/** Holds the providers of one `forFeature()` call. */
@Module({})
class EventBusFeatureModule {}

const providers: Provider[] = [
  {
    provide: EVENT_BUS_RESOLVED_OPTIONS,
    useFactory: (options: EventBusModuleOptions) => resolveEventBusOptions(options),
    inject: [EVENT_BUS_MODULE_OPTIONS],
  },
  {
    provide: EVENT_TRANSPORT,
    useFactory: (options: ResolvedEventBusOptions) =>
      createTransport(options.transport, options.serviceId),
    inject: [EVENT_BUS_RESOLVED_OPTIONS],
  },
  {
    // The application's registry when it imports ScheduleModule.forRoot(), else one of our own.
    // We do not import ScheduleModule.forRoot(): Nest 11 keys dynamic modules by reference (its
    // default moduleIdGeneratorAlgorithm), so the application's forRoot() and ours would be two
    // modules, and the second explorer would run the application's @Interval/@Cron jobs twice.
    provide: EVENT_BUS_SCHEDULER,
    useFactory: (app?: SchedulerRegistry) => app ?? new SchedulerRegistry(),
    inject: [{ token: SchedulerRegistry, optional: true }],
  },
  {
    // The bus's own interceptors, built here and handed to the chain, which knows only the
    // interface: tracing first, so a span covers what the metrics and the trace log do.
    provide: EVENT_BUS_BUILT_IN_INTERCEPTORS,
    useFactory: (
      ...builtIn: Array<TracingInterceptor | MetricsInterceptor | TraceLogInterceptor>
    ) => builtIn.filter((interceptor) => interceptor.enabled),
    inject: [TracingInterceptor, MetricsInterceptor, TraceLogInterceptor],
  },
  EventBusMetadataAccessor,
  EventBusExplorer,
  NestHandlerFactory,
  HandlerRegistry,
  EventTypeRegistry,
  UpcasterRegistry,
  CloudEventCodec,
  InterceptorChain,
  OutboxRelay,
  OutboxCommits,
  InboxConsumer,
  DeadLetterPublisher,
  DecodeStep,
  RouteStep,
  UpcastStep,
  ValidateStep,
  RecordPreparer,
  FailurePolicyRunner,
  RecordProcessor,
  DependencyOutage,
  TransactionBatchProcessor,
  EventConsumer,
  EventPublisher,
  LocalEventDispatcher,
  EventBusOrchestrator,
  EventBusMaintenance,
  EventBusHealthIndicator,
  EventBusMetrics,
  MetricsInterceptor,
  TracingInterceptor,
  TraceLogInterceptor,
];

/**
 * Reliable events between services: a transactional outbox, an inbox for exactly-once effects,
 * retries and dead-letter topics, over Kafka or the in-memory transport.
 *
 * @example
 * EventBusModule.forRoot({ serviceId: 'user-service' })
 * EventBusModule.forRootAsync({ inject: [ConfigService], useFactory: (c) => ({ serviceId: c.get('SERVICE_ID') }) })
 * EventBusModule.forFeature({ events: [UserRegistered], upcasters: [UserRegisteredV1ToV2] })
 */
@Module({
  // The storage adapter's providers (the `storage` option, TypeORM by default) and their
  // exports are added by EventBusConfigurableModule (event-bus.module-definition.ts).
  // No TerminusModule: @nestjs/terminus is optional; EventBusHealthIndicator loads it on use.
  imports: [DiscoveryModule],
  providers,
  exports: [
    EventPublisher,
    LocalEventDispatcher,
    EventBusHealthIndicator,
    TraceLogInterceptor,
    EventTypeRegistry,
    OutboxRelay,
    EventConsumer,
    InterceptorChain,
    InboxConsumer,
    // For the @nestjs/microservices integration (EventBusMicroservicesModule).
    HandlerRegistry,
    NestHandlerFactory,
    EVENT_BUS_RESOLVED_OPTIONS,
    EVENT_TRANSPORT,
  ],
})
export class EventBusModule extends EventBusConfigurableModule {
  static forFeature(feature: EventBusFeatureOptions = {}): DynamicModule {
    const events = feature.events ?? [];
    const upcasters = feature.upcasters ?? [];
    const registration: Provider = {
      provide: Symbol('EVENT_BUS_FEATURE'),
      useFactory: (types: EventTypeRegistry) => {
        for (const event of events) types.register(event);
        return events;
      },
      inject: [EventTypeRegistry],
    };
    return {
      module: EventBusFeatureModule,
      imports: feature.imports ?? [],
      providers: [...upcasters, registration],
      exports: upcasters,
    };
  }
}
