import { Injectable } from '@nestjs/common';
import { EVENT_INTERCEPTOR_METADATA } from '../event-bus.constants';

/** Options of `@EventInterceptor()`: the order among interceptors. */
export interface EventInterceptorOptions {
  /** Lower runs first (outermost); ties keep discovery order. */
  order?: number;
}

/**
 * Registers a provider as an event-bus interceptor; the explorer finds it in any module.
 *
 * @example
 * @EventInterceptor({ order: 10 })
 * export class AuditInterceptor implements EventBusInterceptor { ... }
 */
export function EventInterceptor(options: EventInterceptorOptions = {}): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(EVENT_INTERCEPTOR_METADATA, { order: options.order ?? 0 }, target);
    Injectable()(target);
  };
}
