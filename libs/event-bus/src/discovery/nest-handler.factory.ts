import { AsyncLocalStorage } from 'node:async_hooks';
import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  type Type,
} from '@nestjs/common';
import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
} from '@nestjs/common/constants';
import type { ExceptionFilterMetadata } from '@nestjs/common/interfaces/exceptions/exception-filter-metadata.interface';
import { selectExceptionFilterMetadata } from '@nestjs/common/utils/select-exception-filter-metadata.util';
import { ApplicationConfig, ExternalContextCreator, type NestContainer } from '@nestjs/core';
import { ExternalExceptionFilterContext } from '@nestjs/core/exceptions/external-exception-filter-context';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { isObservable, lastValueFrom } from 'rxjs';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import { classifyTransient } from '../errors/transient-failure';
import { HandlerRefusedError } from '../errors/handler-refused.error';
import { InvalidEventError } from '../errors/invalid-event.error';
import { pipeRejectedEvent } from '../event-bus.messages';
import { describeError } from '../util/describe-error';

/** What `ExecutionContext.getType()` answers inside a bus handler's guards, interceptors and pipes. */
export const EVENT_BUS_CONTEXT_TYPE = 'event-bus';

/** Where a handler's parameters are described for Nest's pipes: the event first, then the context. */
const HANDLER_ARGS_METADATA = '__eventBusHandlerArguments__';
const PAYLOAD = 3;
const CONTEXT = 6;

type Method = (event: object, context: object) => unknown;

/**
 * Hands each parameter its value: Nest's pipes see the event (its class as metatype) and the
 * context. The numbers are those of @nestjs/microservices' `RpcParamtype` (PAYLOAD, CONTEXT), so
 * `@Payload()` and `@Ctx()` of an `@EventPattern` method resolve here too.
 */
const paramsFactory = {
  exchangeKeyForValue: (type: number, data: unknown, args: unknown[]): unknown => {
    if (type !== PAYLOAD) return args[1];
    // @Payload('field') of an @EventPattern method: that property of the event.
    return typeof data === 'string' && data
      ? (args[0] as Record<string, unknown>)?.[data]
      : args[0];
  },
};

/**
 * Builds the call of an `@EventSubscribe` method through Nest's `ExternalContextCreator`, as
 * @nestjs/microservices builds `@EventPattern` handlers: global and per-handler guards,
 * interceptors and pipes apply, `ExecutionContext.getType()` is `'event-bus'`, and
 * `switchToRpc()` gives the event (`getData()`) and the `EventContext` (`getContext()`).
 *
 * A guard that returns false (or an enhancer that throws a `ForbiddenException` before the
 * method runs) makes the call throw `HandlerRefusedError`, which the consumer records as a
 * `discarded` outcome. A pipe that throws a `BadRequestException` (a `ValidationPipe` refusing
 * the event) makes it an `InvalidEventError`: dead-lettered at once, as `validation_failed`.
 *
 * Exception filters (`@UseFilters`, global ones) catch what the handler, its pipes or its
 * interceptors throw, except an outage (a transient error), which always goes to the failure
 * policy to be waited out. A filter that returns handles the error: the attempt succeeds and commits.
 * A filter that throws hands its error to the failure policy. With no filter for the error, it
 * goes to the failure policy as it is (Nest's default filter, which logs every error, is not used).
 */
@Injectable()
export class NestHandlerFactory {
  private readonly filterContext: ExternalExceptionFilterContext;
  private readonly config: ApplicationConfig;

  constructor(
    private readonly contexts: ExternalContextCreator,
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
  ) {
    // The container the creator was made from (@nestjs/microservices builds its filters on it).
    const container = (contexts as unknown as { container: NestContainer }).container;
    this.config = container.applicationConfig ?? new ApplicationConfig();
    this.filterContext = new ExternalExceptionFilterContext(container, this.config);
  }

  /**
   * The call of `instance[methodName]` with `(event, context)`. `argsMetadata` names where the
   * method's parameter decorators are (`@Payload()`/`@Ctx()` of an `@EventPattern` method);
   * without it the method takes `(event, context)` in that order.
   */
  create(
    instance: object,
    methodName: string,
    handlerId: string,
    options: { argsMetadata?: string } = {},
  ): (event: object, context: object) => Promise<unknown> | unknown {
    const method = (instance as Record<string, Method>)[methodName];
    const argsMetadata = options.argsMetadata ?? HANDLER_ARGS_METADATA;
    if (options.argsMetadata === undefined) {
      // Nothing to apply: the method itself, without the context's cost on every event.
      if (!this.hasEnhancers(instance, method)) return method.bind(instance);
      describeParameters(instance.constructor as Type<object>, methodName);
    }
    // Whether this call reached the method: a ForbiddenException from before it is a refusal.
    const reached = new AsyncLocalStorage<{ reached: boolean }>();
    const target = withMetadataOf(method, function (this: object, ...args: unknown[]) {
      const state = reached.getStore();
      if (state) state.reached = true;
      return (method as (...params: unknown[]) => unknown).apply(this, args);
    });
    // It stands for the method in the ExecutionContext: getHandler() returns it, with the
    // method's name and metadata (what Reflector and @SetMetadata read).
    Object.defineProperty(target, 'name', { value: method.name });
    const call = this.contexts.create(
      instance,
      target as (...args: unknown[]) => unknown,
      methodName,
      argsMetadata,
      paramsFactory,
      undefined,
      undefined,
      { guards: true, interceptors: true, filters: false },
      EVENT_BUS_CONTEXT_TYPE,
    );
    const filters = this.filters(instance, target);
    return (event, context) => {
      const state = { reached: false };
      return reached.run(state, async () => {
        try {
          return await call(event, context);
        } catch (error) {
          if (error instanceof ForbiddenException && !state.reached) {
            throw new HandlerRefusedError(handlerId, error);
          }
          // A pipe refused the event (ValidationPipe): bad input, which no retry can fix.
          if (error instanceof BadRequestException && !state.reached) {
            const message = pipeRejectedEvent(handlerId, describeError(error));
            throw new InvalidEventError('validation_failed', message, error);
          }
          return this.filter(filters, error, instance, target, [event, context]);
        }
      });
    };
  }

  /**
   * Hands `error` to the first filter that catches it; rethrows when none does. What the filter
   * returns handles the error; an Observable it returns fails the attempt if it errors.
   */
  private async filter(
    filters: ExceptionFilterMetadata[],
    error: unknown,
    instance: object,
    target: Method,
    args: unknown[],
  ): Promise<undefined> {
    // An outage is the bus's to wait out: a catch-all filter (often written for HTTP) must not
    // turn it into a handled event, nor replace it with an error the outage check cannot read.
    if (classifyTransient(error, this.options.consumer.isTransient)) throw error;
    const filter = selectExceptionFilterMetadata(filters, error);
    if (!filter) throw error;
    const host = new ExecutionContextHost(args, instance.constructor as Type, target);
    host.setType(EVENT_BUS_CONTEXT_TYPE);
    const result: unknown = await filter.func(error, host);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    return undefined;
  }

  /** True when a guard, interceptor, pipe or filter applies: global, on the class or the method. */
  private hasEnhancers(instance: object, method: Method): boolean {
    const keys = [
      GUARDS_METADATA,
      INTERCEPTORS_METADATA,
      PIPES_METADATA,
      EXCEPTION_FILTERS_METADATA,
    ];
    const declared = (target: object) =>
      keys.some((key) => (Reflect.getMetadata(key, target) as unknown[] | undefined)?.length);
    const config = this.config;
    const global = [
      config.getGlobalGuards(),
      config.getGlobalInterceptors(),
      config.getGlobalPipes(),
      config.getGlobalFilters(),
      config.getGlobalRequestGuards(),
      config.getGlobalRequestInterceptors(),
      config.getGlobalRequestPipes(),
      config.getGlobalRequestFilters(),
    ];
    return (
      declared(instance.constructor) || declared(method) || global.some((list) => list.length > 0)
    );
  }

  /** The global, class and method filters of the handler, innermost first (as Nest orders them). */
  private filters(instance: object, target: Method): ExceptionFilterMetadata[] {
    const callback = target as (...args: unknown[]) => void;
    const moduleKey = this.contexts.getContextModuleKey(instance.constructor as Type);
    // create() points the context at the handler's module, where the filters resolve.
    this.filterContext.create(instance, callback as never, moduleKey);
    const filters = this.filterContext.createContext<ExceptionFilterMetadata[]>(
      instance,
      callback,
      EXCEPTION_FILTERS_METADATA,
    );
    return [...filters].reverse();
  }
}

/** The method's parameters as Nest's pipes read them, unless something described them already. */
function describeParameters(type: Type<object>, methodName: string): void {
  if (Reflect.hasOwnMetadata(HANDLER_ARGS_METADATA, type, methodName)) return;
  const param = (index: number) => ({ index, data: undefined, pipes: [] });
  Reflect.defineMetadata(
    HANDLER_ARGS_METADATA,
    { [`${PAYLOAD}:0`]: param(0), [`${CONTEXT}:1`]: param(1) },
    type,
    methodName,
  );
}

/** `fn` carrying every metadata entry of `source` (the guards `@UseGuards` put on the method). */
function withMetadataOf<F extends object>(source: object, fn: F): F {
  for (const key of Reflect.getMetadataKeys(source)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, source), fn);
  }
  return fn;
}
