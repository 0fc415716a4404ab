import { Injectable, OnModuleInit, Type } from '@nestjs/common';
import { EVENT_METADATA } from '../src/event-bus.constants';
import type { EventMetadata } from '../src/decorators/integration-event.decorator';
import type {
  EventBusInterceptor,
  OutgoingEvent,
  ProcessOutcome,
  ProcessStatus,
  SentEvent,
} from '../src/interfaces/event-bus-interceptor.interface';
import { InterceptorChain } from '../src/interceptors/interceptor-chain';
import {
  testNoOutcome,
  testNotAnEventClass,
  testNotPublished,
  testTimedOut,
  testTooFewOutcomes,
} from '../src/event-bus.messages';

const HISTORY_LIMIT = 10_000;

/** How long a helper waits before it fails with what it saw. */
export interface WaitOptions {
  timeoutMs?: number;
}

/** `waitForHandled` options: besides the timeout, which handled events count. */
export interface HandledWaitOptions<T> extends WaitOptions {
  /** Only outcomes of this handler id. */
  handlerId?: string;
  /** Which ending counts; `success` by default. */
  status?: ProcessStatus;
  /** Only events whose payload matches. */
  where?: (event: T) => boolean;
}

/** An event that was committed and handed to the transport, with its payload. */
export interface SentTestEvent<T = object> {
  id: string;
  type: string;
  key: string | null;
  payload: T;
}

type EventRef<T> = Type<T> | string;

/** An outcome with the payload of the event it is about, for `where`. */
type RecordedOutcome = ProcessOutcome & { payload?: object };

/**
 * Watches the bus from inside, for tests: await that a handler processed an event, and assert
 * what was published (committed and sent, never rolled back).
 *
 * @example
 * await helper.waitForHandled(UserRegistered, { where: (e) => e.userId === id });
 * await helper.expectPublished(UserRegistered, { username: 'ada' });
 */
@Injectable()
export class EventBusTestHelper implements OnModuleInit, EventBusInterceptor {
  private readonly outcomes: RecordedOutcome[] = [];
  private readonly payloads = new Map<string, OutgoingEvent>();
  private readonly sentEvents: SentTestEvent[] = [];
  private readonly handledPayloads = new Map<string, object>();
  private listeners = new Set<() => void>();

  constructor(private readonly chain: InterceptorChain) {}

  onModuleInit(): void {
    this.chain.add(this);
  }

  /** @internal interceptor hook */
  afterPublish(events: readonly OutgoingEvent[]): void {
    for (const event of events) this.payloads.set(event.id, event);
  }

  /** @internal interceptor hook */
  onSent(events: readonly SentEvent[]): void {
    for (const sent of events) {
      const event = this.payloads.get(sent.id);
      this.payloads.delete(sent.id);
      if (!event) continue;
      this.push(this.sentEvents, {
        id: event.id,
        type: event.type,
        key: event.key,
        payload: event.payload,
      });
    }
    this.notify();
  }

  /** @internal interceptor hook */
  async aroundProcess(
    invocation: { event: object; context: { eventId: string } },
    next: () => Promise<void>,
  ): Promise<void> {
    this.handledPayloads.set(invocation.context.eventId, invocation.event);
    await next();
  }

  /** @internal interceptor hook */
  onOutcome(outcome: ProcessOutcome): void {
    this.push(this.outcomes, {
      ...outcome,
      payload: outcome.eventId === null ? undefined : this.handledPayloads.get(outcome.eventId),
    });
    this.notify();
  }

  /** Outcomes so far, oldest first. */
  history(): readonly ProcessOutcome[] {
    return this.outcomes;
  }

  /** Events committed and sent so far, oldest first. */
  sent<T extends object>(event?: EventRef<T>): SentTestEvent<T>[] {
    const type = event === undefined ? undefined : typeOf(event);
    return this.sentEvents.filter(
      (e) => type === undefined || e.type === type,
    ) as SentTestEvent<T>[];
  }

  /** Resolves with the first outcome (past or future) that matches; rejects after the timeout. */
  waitForHandled<T extends object>(
    event: EventRef<T>,
    options: HandledWaitOptions<T> = {},
  ): Promise<ProcessOutcome> {
    const type = typeOf(event);
    const status = options.status ?? 'success';
    const matches = outcomeMatcher(type, status, options);
    return this.waitFor(
      () => this.outcomes.find(matches),
      options.timeoutMs,
      () => testNoOutcome(status, type, options.handlerId, this.describeOutcomes()),
    );
  }

  /** Resolves once `count` outcomes match, counted as `waitForHandled` matches one. */
  async waitForCount<T extends object>(
    event: EventRef<T>,
    count: number,
    options: HandledWaitOptions<T> = {},
  ): Promise<ProcessOutcome[]> {
    const type = typeOf(event);
    const status = options.status ?? 'success';
    const matches = outcomeMatcher(type, status, options);
    const select = (): ProcessOutcome[] => this.outcomes.filter(matches);
    return this.waitFor(
      () => {
        const found = select();
        return found.length >= count ? found : undefined;
      },
      options.timeoutMs,
      () => testTooFewOutcomes(count, status, type, select().length),
    );
  }

  /**
   * Resolves with the first sent event of the class whose payload contains `match` (or passes
   * it, when a function); rejects with what was sent instead after the timeout.
   */
  expectPublished<T extends object>(
    event: EventRef<T>,
    match: Partial<T> | ((payload: T) => boolean) = {},
    options: WaitOptions = {},
  ): Promise<SentTestEvent<T>> {
    const type = typeOf(event);
    const test = typeof match === 'function' ? match : (p: T) => contains(p, match);
    return this.waitFor(
      () => this.sent<T>(type).find((e) => test(e.payload)),
      options.timeoutMs,
      () =>
        testNotPublished(
          type,
          JSON.stringify(typeof match === 'function' ? 'predicate' : match),
          this.sent<T>(type).length,
        ),
    );
  }

  /** Forgets everything recorded so far. */
  reset(): void {
    this.outcomes.length = 0;
    this.sentEvents.length = 0;
    this.payloads.clear();
    this.handledPayloads.clear();
  }

  private waitFor<R>(
    probe: () => R | undefined,
    timeoutMs = 5000,
    describe: () => string,
  ): Promise<R> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<R>((resolve, reject) => {
      const check = (): void => {
        const result = probe();
        if (result === undefined) return;
        cleanup();
        resolve(result);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(testTimedOut(timeoutMs, describe())));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private push<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > HISTORY_LIMIT) list.shift();
  }

  private describeOutcomes(): string {
    const last = this.outcomes.slice(-5).map((o) => `${o.type}/${o.handlerId}=${o.status}`);
    return last.length ? last.join(', ') : 'nothing';
  }
}

function typeOf(event: EventRef<object>): string {
  if (typeof event === 'string') return event;
  const metadata = Reflect.getMetadata(EVENT_METADATA, event) as EventMetadata | undefined;
  if (!metadata) throw new Error(testNotAnEventClass(event.name));
  return metadata.type;
}

function outcomeMatcher<T extends object>(
  type: string,
  status: ProcessStatus,
  options: HandledWaitOptions<T>,
): (outcome: RecordedOutcome) => boolean {
  return (o) =>
    o.type === type &&
    o.status === status &&
    (options.handlerId === undefined || o.handlerId === options.handlerId) &&
    (options.where === undefined || (o.payload !== undefined && options.where(o.payload as T)));
}

function contains(payload: object, match: object): boolean {
  return Object.entries(match).every(([k, v]) => (payload as Record<string, unknown>)[k] === v);
}
