import { Inject, Injectable, Logger, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import { handlerSubscribed, requestScopedHandler } from '../event-bus.messages';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { EventBusInterceptor } from '../interfaces/event-bus-interceptor.interface';
import type { EventContext } from '../interfaces/event-context.interface';
import type { EventUpcaster } from '../decorators/upcaster.decorator';
import type { EventSubscribeMetadata } from '../decorators/event-subscribe.decorator';
import { EventTypeRegistry } from '../envelope/event-type.registry';
import { UpcasterRegistry } from '../envelope/upcaster.registry';
import { InterceptorChain } from '../interceptors/interceptor-chain';
import { EventBusMetadataAccessor } from './event-bus-metadata.accessor';
import { handlerSettings } from './handler-settings';
import { HandlerRegistry } from './handler.registry';
import { NestHandlerFactory } from './nest-handler.factory';

type Handler = (event: object, context: EventContext) => unknown;

/**
 * Finds, at module init, every `@EventSubscribe` method, `@Upcaster` and `@EventInterceptor` in
 * the application and registers them.
 */
@Injectable()
export class EventBusExplorer implements OnModuleInit {
  private readonly logger = new Logger(EventBusExplorer.name);

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: EventBusMetadataAccessor,
    private readonly types: EventTypeRegistry,
    private readonly upcasters: UpcasterRegistry,
    private readonly handlers: HandlerRegistry,
    private readonly interceptors: InterceptorChain,
    private readonly nestHandlers: NestHandlerFactory,
  ) {}

  onModuleInit(): void {
    const interceptors: Array<{ order: number; instance: EventBusInterceptor }> = [];
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object') continue;
      // The instance's class, not `metatype`: for factory providers that is the factory.
      const type = instance.constructor as Type<object>;

      const upcaster = this.accessor.getUpcasterMetadata(type);
      if (upcaster) this.upcasters.register(upcaster, instance as EventUpcaster);

      const interceptor = this.accessor.getInterceptorMetadata(type);
      if (interceptor)
        interceptors.push({ order: interceptor.order, instance: instance as EventBusInterceptor });

      this.exploreHandlers(wrapper, instance as Record<string, unknown>);
    }
    // A stable sort keeps discovery order among equal `order` values.
    interceptors.sort((a, b) => a.order - b.order);
    this.interceptors.setDiscovered(interceptors.map((i) => i.instance));
  }

  private exploreHandlers(wrapper: InstanceWrapper, instance: Record<string, unknown>): void {
    const prototype = Object.getPrototypeOf(instance) as object;
    const className = instance.constructor.name;
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = instance[methodName];
      if (typeof method !== 'function') continue;
      const subscriptions = this.accessor.getSubscriptions(method as Handler);
      if (subscriptions.length === 0) continue;
      if (!wrapper.isDependencyTreeStatic()) {
        this.logger.warn(requestScopedHandler(className));
        return;
      }
      for (const subscription of subscriptions) {
        this.register(instance, methodName, subscription);
      }
    }
  }

  private register(
    instance: object,
    methodName: string,
    subscription: EventSubscribeMetadata,
  ): void {
    const className = instance.constructor.name;
    const method = (instance as Record<string, Handler>)[methodName].bind(instance);
    const { event, options } = subscription;
    const definition = this.types.register(event);
    const id = options.id ?? `${className}.${methodName}`;
    const settings = handlerSettings(this.options.consumer, '@EventSubscribe()', id, options);
    // Through Nest's execution context: guards, interceptors and pipes apply (see the factory).
    const invoke = this.nestHandlers.create(instance, methodName, id);
    this.handlers.add({
      id,
      event: definition,
      ...settings,
      invoke: async (payload, context) => {
        await invoke(payload, context);
      },
      call: method,
    });
    this.logger.log(handlerSubscribed(id, definition.type, settings.group));
  }
}
