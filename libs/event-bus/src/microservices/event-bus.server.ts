import { Inject, Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import {
  PARAM_ARGS_METADATA,
  PATTERN_EXTRAS_METADATA,
  PATTERN_HANDLER_METADATA,
  PATTERN_METADATA,
  TRANSPORT_METADATA,
} from '@nestjs/microservices/constants';
import { PatternHandler } from '@nestjs/microservices/enums/pattern-handler.enum';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import {
  eventPatternIdsNeeded,
  eventPatternNotAString,
  eventPatternSubscribed,
  messagePatternRefused,
  serverEmitsNothing,
  serverWrapsNoClient,
  unknownEventPattern,
} from '../event-bus.messages';
import { EventBusError } from '../errors/event-bus.error';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { EventContext } from '../interfaces/event-context.interface';
import { EventTypeRegistry } from '../envelope/event-type.registry';
import { HandlerRegistry } from '../discovery/handler.registry';
import { NestHandlerFactory } from '../discovery/nest-handler.factory';
import { handlerSettings } from '../discovery/handler-settings';
import type { EventSubscribeOptions } from '../decorators/event-subscribe.decorator';
import { EventBusContext } from './event-bus.context';

/**
 * What `@EventPattern(type, { id, group, retry, onFailure })` (its extras) may tell the bus: the
 * options of `@EventSubscribe()`, with `id` defaulting to `event-pattern:<type>`. Keep the id
 * stable across releases: it keys the inbox.
 */
export type EventPatternExtras = EventSubscribeOptions;

/** An `@EventPattern` method of a controller. */
interface PatternMethod {
  instance: object;
  methodName: string;
  extras: EventPatternExtras;
}

/**
 * A Nest microservice transport (`CustomTransportStrategy`) that serves `@EventPattern`
 * handlers from the bus: the same consumer groups, partitions, inbox, retries and dead letters
 * as `@EventSubscribe`, in the bus's execution context (guards, interceptors, pipes and filters
 * apply, `getType()` is `'event-bus'`). `@Payload()` is the upcast, validated event; `@Ctx()` an
 * `EventBusContext`. `@MessagePattern` (request-response) is refused: the bus carries events.
 *
 * Connect it before the application starts (`app.init()` or `app.listen()`), so its handlers are
 * in place when the consumer subscribes. A pattern is an event type the bus knows: an
 * `@IntegrationEvent` class listed in `EventBusModule.forFeature({ events })`.
 *
 * @example
 * const app = await NestFactory.create(AppModule);
 * app.connectMicroservice({ strategy: app.get(EventBusServer) });
 * await app.startAllMicroservices();
 * await app.listen(3000);
 */
@Injectable()
export class EventBusServer extends Server implements CustomTransportStrategy {
  private readonly served = new Set<string>();

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly types: EventTypeRegistry,
    private readonly handlers: HandlerRegistry,
    private readonly nestHandlers: NestHandlerFactory,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {
    super();
  }

  /**
   * Nest calls it for each pattern of the application's controllers when the microservice is
   * connected. An event pattern becomes a bus handler per method at once; the callback Nest
   * built is not used, because its exception handling turns every error into "Internal server
   * error", which would hide an outage from the failure policy.
   */
  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    if (typeof pattern !== 'string') {
      throw new EventBusConfigurationError(eventPatternNotAString(JSON.stringify(pattern)));
    }
    if (!isEventHandler) throw new EventBusConfigurationError(messagePatternRefused(pattern));
    super.addHandler(pattern, callback, true, extras);
    if (this.served.has(pattern)) return;
    this.served.add(pattern);
    const definition = this.types.latest(pattern);
    if (!definition) throw new EventBusConfigurationError(unknownEventPattern(pattern));
    const methods = this.methodsOf(pattern);
    if (methods.length > 1 && methods.some((m) => m.extras.id === undefined)) {
      throw new EventBusConfigurationError(
        eventPatternIdsNeeded(
          pattern,
          methods.map((m) => `${m.instance.constructor.name}.${m.methodName}`),
        ),
      );
    }
    for (const { instance, methodName, extras: own } of methods) {
      const id = own.id ?? `event-pattern:${pattern}`;
      const settings = handlerSettings(this.options.consumer, '@EventPattern()', id, own);
      const call = this.nestHandlers.create(instance, methodName, id, {
        argsMetadata: PARAM_ARGS_METADATA,
      });
      const invoke = async (event: object, context: EventContext): Promise<void> => {
        await call(event, new EventBusContext(context));
      };
      this.handlers.add({ id, event: definition, ...settings, invoke, call: invoke });
      this.logger.log(eventPatternSubscribed(id, pattern, settings.group));
    }
  }

  /** The bus's consumer runs with the application: there is nothing more to start. */
  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    callback();
  }

  /** The bus stops with the application (its shutdown hooks): nothing of its own to close. */
  close(): void {}

  /** It emits no events of its own: the bus reports through its interceptors and health. */
  on(): never {
    throw new EventBusError(serverEmitsNothing());
  }

  /** It wraps no client: inject the bus's providers instead. */
  unwrap<T>(): T {
    throw new EventBusError(serverWrapsNoClient());
  }

  /** The controllers' event-pattern methods for `pattern` that this transport serves. */
  private methodsOf(pattern: string): PatternMethod[] {
    const found: PatternMethod[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      for (const methodName of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const method = instance[methodName] as Type | undefined;
        if (typeof method !== 'function') continue;
        const patterns = Reflect.getMetadata(PATTERN_METADATA, method) as unknown[] | undefined;
        if (!patterns?.includes(pattern)) continue;
        if (Reflect.getMetadata(PATTERN_HANDLER_METADATA, method) !== PatternHandler.EVENT)
          continue;
        const transport = Reflect.getMetadata(TRANSPORT_METADATA, method) as unknown;
        if (transport !== undefined && transport !== this.transportId) continue;
        const extras = (Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) ??
          {}) as EventPatternExtras;
        found.push({ instance, methodName, extras });
      }
    }
    return found;
  }
}
