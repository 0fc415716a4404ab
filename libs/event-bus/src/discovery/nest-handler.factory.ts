import { ForbiddenException, Injectable, type Type } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA } from '@nestjs/common/constants';
import type { ExceptionFilterMetadata } from '@nestjs/common/interfaces/exceptions/exception-filter-metadata.interface';
import { selectExceptionFilterMetadata } from '@nestjs/common/utils/select-exception-filter-metadata.util';
import { ExternalContextCreator, type NestContainer } from '@nestjs/core';
import { ExternalExceptionFilterContext } from '@nestjs/core/exceptions/external-exception-filter-context';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { isObservable, lastValueFrom } from 'rxjs';
import type { EventContext } from '../interfaces/event-context.interface';
import { HandlerRefusedError } from '../errors/handler-refused.error';

/** What `ExecutionContext.getType()` answers inside a bus handler's guards, interceptors and pipes. */
export const EVENT_BUS_CONTEXT_TYPE = 'event-bus';

/** Where a handler's parameters are described for Nest's pipes: the event first, then the context. */
const HANDLER_ARGS_METADATA = '__eventBusHandlerArguments__';
const PAYLOAD = 3;
const CONTEXT = 6;

type Method = (event: object, context: EventContext) => unknown;

/** Hands each parameter its value: Nest's pipes see the event (its class as metatype) and the context. */
const paramsFactory = {
  exchangeKeyForValue: (type: number, _data: unknown, args: unknown[]): unknown =>
    type === PAYLOAD ? args[0] : args[1],
};

/**
 * Builds the call of an `@EventSubscribe` method through Nest's `ExternalContextCreator`, as
 * @nestjs/microservices builds `@EventPattern` handlers: global and per-handler guards,
 * interceptors and pipes apply, `ExecutionContext.getType()` is `'event-bus'`, and
 * `switchToRpc()` gives the event (`getData()`) and the `EventContext` (`getContext()`).
 *
 * A guard that returns false (or an enhancer that throws a `ForbiddenException` before the
 * method runs) makes the call throw `HandlerRefusedError`, which the consumer records as a
 * `discarded` outcome.
 *
 * Exception filters (`@UseFilters`, global ones) catch what the handler, its pipes or its
 * interceptors throw. A filter that returns handles the error: the attempt succeeds and commits.
 * A filter that throws hands its error to the failure policy. With no filter for the error, it
 * goes to the failure policy as it is (Nest's default filter, which logs every error, is not used).
 */
@Injectable()
export class NestHandlerFactory {
  private readonly filterContext: ExternalExceptionFilterContext;

  constructor(private readonly contexts: ExternalContextCreator) {
    // The container the creator was made from (@nestjs/microservices builds its filters on it).
    const container = (contexts as unknown as { container: NestContainer }).container;
    this.filterContext = new ExternalExceptionFilterContext(container, container.applicationConfig);
  }

  create(instance: object, methodName: string, handlerId: string): Method {
    const method = (instance as Record<string, Method>)[methodName];
    describeParameters(instance.constructor as Type<object>, methodName);
    // The contexts whose method was reached: a ForbiddenException from before it is a refusal.
    const reached = new WeakSet<object>();
    const target = withMetadataOf(
      method,
      function (this: object, event: object, ctx: EventContext) {
        reached.add(ctx);
        return method.call(this, event, ctx);
      },
    );
    // It stands for the method in the ExecutionContext: getHandler() returns it, with the
    // method's name and metadata (what Reflector and @SetMetadata read).
    Object.defineProperty(target, 'name', { value: method.name });
    const call = this.contexts.create(
      instance,
      target as (...args: unknown[]) => unknown,
      methodName,
      HANDLER_ARGS_METADATA,
      paramsFactory,
      undefined,
      undefined,
      { guards: true, interceptors: true, filters: false },
      EVENT_BUS_CONTEXT_TYPE,
    );
    const filters = this.filters(instance, target);
    return async (event, context) => {
      try {
        return await call(event, context);
      } catch (error) {
        if (error instanceof ForbiddenException && !reached.has(context)) {
          throw new HandlerRefusedError(handlerId, error);
        }
        const filter = selectExceptionFilterMetadata(filters, error);
        if (!filter) throw error;
        const host = new ExecutionContextHost(
          [event, context],
          instance.constructor as Type,
          target,
        );
        host.setType(EVENT_BUS_CONTEXT_TYPE);
        const result: unknown = await filter.func(error, host);
        // An RPC-style filter answers with an Observable (throwError() to fail the attempt).
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      }
    };
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
