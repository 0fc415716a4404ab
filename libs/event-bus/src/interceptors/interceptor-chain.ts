import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  EVENT_BUS_BUILT_IN_INTERCEPTORS,
  EVENT_BUS_RESOLVED_OPTIONS,
} from '../event-bus.constants';
import type {
  EventBusInterceptor,
  OutgoingEvent,
  PartitionPause,
  ProcessInvocation,
  ProcessOutcome,
  SendFailure,
  SendingEvent,
  SentEvent,
} from '../interfaces/event-bus-interceptor.interface';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import { EventBusError } from '../errors/event-bus.error';
import { interceptorObserverThrew, interceptorSkippedWork } from '../event-bus.messages';

type AroundHook = 'aroundProcess' | 'aroundSend';

/**
 * Runs interceptors in their defined order (see `EventBusInterceptor`). The bus's own ones come
 * first (the module hands over those enabled: tracing, metrics, the trace log), so a span covers
 * everything the others do; then discovered interceptors, sorted by `order`; then instances from
 * the module options. The core reports through it and nothing else: the observer hooks are how
 * sends, outcomes, pauses and records in flight reach metrics and traces.
 */
@Injectable()
export class InterceptorChain {
  private readonly logger = new Logger(InterceptorChain.name);
  private discovered: EventBusInterceptor[] = [];
  private readonly added: EventBusInterceptor[] = [];
  private interceptors: EventBusInterceptor[] = [];
  /** The interceptors of each around-hook, kept with the list rather than filtered per call. */
  private around: Record<AroundHook, EventBusInterceptor[]> = { aroundProcess: [], aroundSend: [] };

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_BUS_BUILT_IN_INTERCEPTORS)
    private readonly builtIn: readonly EventBusInterceptor[],
  ) {
    this.rebuild();
  }

  /** Called once by the explorer with the discovered interceptors, already sorted. */
  setDiscovered(discovered: EventBusInterceptor[]): void {
    this.discovered = discovered;
    this.rebuild();
  }

  /** Adds an interceptor after all others (the testing helper uses it). */
  add(interceptor: EventBusInterceptor): void {
    this.added.push(interceptor);
    this.rebuild();
  }

  private rebuild(): void {
    this.interceptors = [
      ...this.builtIn,
      ...this.discovered,
      ...this.options.interceptors,
      ...this.added,
    ];
    this.around = {
      aroundProcess: this.interceptors.filter((i) => i.aroundProcess),
      aroundSend: this.interceptors.filter((i) => i.aroundSend),
    };
  }

  async beforePublish(event: OutgoingEvent): Promise<void> {
    for (const i of this.interceptors) if (i.beforePublish) await i.beforePublish(event);
  }

  async afterPublish(events: readonly OutgoingEvent[]): Promise<void> {
    for (const i of [...this.interceptors].reverse()) {
      if (!i.afterPublish) continue;
      try {
        await i.afterPublish(events);
      } catch (error) {
        this.observerFailed('afterPublish', error);
      }
    }
  }

  aroundProcess(invocation: ProcessInvocation, handler: () => Promise<void>): Promise<void> {
    return this.nest('aroundProcess', (i, next) => i.aroundProcess!(invocation, next), handler);
  }

  aroundSend(events: readonly SendingEvent[], send: () => Promise<void>): Promise<void> {
    return this.nest('aroundSend', (i, next) => i.aroundSend!(events, next), send);
  }

  committed(events: readonly OutgoingEvent[]): void {
    this.notify('onCommitted', (i) => i.onCommitted?.(events));
  }

  sent(events: readonly SentEvent[]): void {
    this.notify('onSent', (i) => i.onSent?.(events));
  }

  sendFailed(failure: SendFailure): void {
    this.notify('onSendFailed', (i) => i.onSendFailed?.(failure));
  }

  outcome(outcome: ProcessOutcome): void {
    this.notify('onOutcome', (i) => i.onOutcome?.(outcome));
  }

  paused(pause: PartitionPause): void {
    this.notify('onPaused', (i) => i.onPaused?.(pause));
  }

  inFlight(records: number): void {
    this.notify('onInFlight', (i) => i.onInFlight?.(records));
  }

  deadLetterParked(topic: string): void {
    this.notify('onDeadLetterParked', (i) => i.onDeadLetterParked?.(topic));
  }

  /**
   * Runs `work` inside every interceptor that has `hook`, the first one outermost. An interceptor
   * cannot make work that failed or never ran look done: the rows would be marked sent, or the
   * inbox row committed, for nothing (nothing is dropped silently).
   */
  private async nest(
    hook: AroundHook,
    wrap: (interceptor: EventBusInterceptor, next: () => Promise<void>) => Promise<void>,
    work: () => Promise<void>,
  ): Promise<void> {
    const wrapping = this.around[hook];
    if (wrapping.length === 0) return work();
    let done = false;
    let failure: { error: unknown } | undefined;
    const innermost = async (): Promise<void> => {
      try {
        await work();
        done = true;
      } catch (error) {
        failure = { error };
        throw error;
      }
    };
    const call = (index: number): Promise<void> =>
      index === wrapping.length ? innermost() : wrap(wrapping[index], () => call(index + 1));
    await call(0);
    if (failure) throw failure.error;
    if (!done) throw new EventBusError(interceptorSkippedWork(hook));
  }

  /** Observer hooks: in order, and one that throws is logged, never propagated. */
  private notify(hook: string, call: (interceptor: EventBusInterceptor) => void): void {
    for (const interceptor of this.interceptors) {
      try {
        call(interceptor);
      } catch (error) {
        this.observerFailed(hook, error);
      }
    }
  }

  private observerFailed(hook: string, error: unknown): void {
    this.logger.warn(
      interceptorObserverThrew(hook, error instanceof Error ? error.message : String(error)),
    );
  }
}
