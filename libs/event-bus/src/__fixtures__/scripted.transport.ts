import type {
  BatchHandler,
  EventTransport,
  OutgoingRecord,
  SubscribeOptions,
  TopicSpec,
  TransportSubscription,
} from '../transports/event-transport.interface';
import { InMemoryBroker } from '../transports/in-memory/in-memory-broker';
import { InMemoryTransport } from '../transports/in-memory/in-memory.transport';

/** Decides whether one `send()` call fails: return the error to throw, or nothing. */
export type SendFailure = (records: OutgoingRecord[]) => Error | undefined;

/**
 * A broker double for unit specs: an `InMemoryTransport` that records every `send()` call and
 * can be told to fail some of them.
 */
export class ScriptedTransport implements EventTransport {
  readonly name = 'scripted';
  readonly inner: InMemoryTransport;
  /** Every `send()` call that succeeded, in order. */
  readonly sends: OutgoingRecord[][] = [];
  /** Every `send()` call, failed or not. */
  readonly calls: OutgoingRecord[][] = [];
  private failures: SendFailure[] = [];
  private listeners: Array<() => void> = [];

  constructor(
    readonly durable = false,
    readonly broker = new InMemoryBroker(),
  ) {
    this.inner = new InMemoryTransport(broker);
  }

  /** Fails the next `count` sends with `error()`. */
  failNext(count: number, error: () => Error): void {
    let left = count;
    this.failures.push(() => (left-- > 0 ? error() : undefined));
  }

  /** Fails every send for which `failure` returns an error, until `reset()`. */
  failWhen(failure: SendFailure): void {
    this.failures.push(failure);
  }

  reset(): void {
    this.failures = [];
  }

  /** Records sent successfully so far, flattened. */
  sent(): OutgoingRecord[] {
    return this.sends.flat();
  }

  /** Resolves once at least `count` records were sent successfully. */
  waitForSent(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.sent().length < count) return;
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
      check();
    });
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  async send(records: OutgoingRecord[]): Promise<void> {
    this.calls.push(records);
    for (const failure of this.failures) {
      const error = failure(records);
      if (error) throw error;
    }
    await this.inner.send(records);
    this.sends.push(records);
    for (const listener of [...this.listeners]) listener();
  }

  subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<TransportSubscription> {
    return this.inner.subscribe(options, handler);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
