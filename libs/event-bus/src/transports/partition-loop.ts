import { Signal } from '../util/signal';

/**
 * A held partition's fetch loop, as the in-memory and PostgreSQL transports run one: started once,
 * woken when records arrive, and stopped so that `stop` resolves once the batch in hand is done.
 * `run` loops while `active`, waits on `wakeSignal` and sleeps on `abort.signal`.
 */
export abstract class PartitionLoop {
  protected active = true;
  protected readonly wakeSignal = new Signal();
  protected readonly abort = new AbortController();
  private loop?: Promise<void>;

  start(): void {
    this.loop = this.run();
  }

  wake(): void {
    this.wakeSignal.notify();
  }

  async stop(): Promise<void> {
    this.active = false;
    this.abort.abort();
    this.wake();
    await this.loop;
  }

  protected abstract run(): Promise<void>;
}
