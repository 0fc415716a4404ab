import { Inject, Injectable } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { RecordBatch } from '../transports/event-transport.interface';
import type { HandlerDefinition } from '../discovery/handler.registry';
import type { ProcessStatus } from '../interfaces/event-bus-interceptor.interface';
import { InboxConsumer } from '../inbox/inbox.consumer';
import { InterceptorChain } from '../interceptors/interceptor-chain';
import { DependencyOutage } from './dependency-outage';
import { FailurePolicyRunner } from './failure-policy.runner';
import { handle } from './pipeline/handle.step';
import { processOutcome } from './pipeline/outcome';
import { isRoutine, type PreparedRecord } from './pipeline/prepared-record';

type HandledRecord = Extract<PreparedRecord, { kind: 'handle' }>;

/** Why a chunk's transaction rolled back, and where. */
interface ChunkFailure {
  error: unknown;
  handler: HandlerDefinition;
  item: HandledRecord;
  durationMs: number;
}

/**
 * The batch path: the same pipeline as the per-record path (`RecordProcessor`), with the
 * deduplicate and handle steps run for many records in one transaction. Per handler, one
 * transaction per chunk of `consumer.recordsPerTransaction` records claims all their inbox rows
 * in one statement and runs the handler for each new one, in offset order: far fewer round
 * trips, the same exactly-once effect. It takes the routine prefix of the batch (records that
 * decoded, upcast and validated for all their handlers) and, at the first chunk that rolls back,
 * stops and leaves the rest, already prepared, to the per-record path, which retries and
 * dead-letters one by one under each handler's failure policy.
 */
@Injectable()
export class TransactionBatchProcessor {
  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly inbox: InboxConsumer,
    private readonly interceptors: InterceptorChain,
    private readonly outage: DependencyOutage,
    private readonly policies: FailurePolicyRunner,
  ) {}

  get enabled(): boolean {
    return this.options.consumer.recordsPerTransaction > 1;
  }

  /**
   * Processes and commits what it can of `prepared` (the batch's records, in order); returns how
   * many it finished, so the per-record path goes on from there. -1 when the partition stopped.
   */
  async process(
    group: string,
    batch: RecordBatch,
    prepared: readonly PreparedRecord[],
    signal: AbortSignal,
  ): Promise<number> {
    let routine = prepared.findIndex((item) => !isRoutine(item));
    if (routine < 0) routine = prepared.length;
    const size = this.options.consumer.recordsPerTransaction;
    for (let start = 0; start < routine; start += size) {
      if (!batch.isActive() || signal.aborted) return -1;
      const chunk = prepared.slice(start, Math.min(start + size, routine));
      if (!(await this.runChunkThroughOutages(group, chunk, batch, signal))) {
        // Stopped while waiting out an outage: nothing more here; the rest is redelivered.
        if (!batch.isActive() || signal.aborted) return -1;
        return start;
      }
      const last = chunk[chunk.length - 1].record;
      await batch.commit(String(BigInt(last.offset) + 1n));
    }
    return routine;
  }

  /**
   * Runs the chunk; while the database or broker is unavailable and the failing handler's policy
   * says to wait (the default does), it waits and runs the chunk again, so an outage never sends
   * routine records down the per-record path to spend their retries. False when the chunk failed
   * otherwise (the per-record path then asks the policy, record by record), or the partition
   * stopped while waiting.
   */
  private async runChunkThroughOutages(
    group: string,
    chunk: readonly PreparedRecord[],
    batch: RecordBatch,
    signal: AbortSignal,
  ): Promise<boolean> {
    for (let waits = 0; ;) {
      const result = await this.runChunk(group, chunk, batch);
      if (result === true) {
        if (waits > 0) this.outage.recovered(batch);
        return true;
      }
      const { error, handler, item, durationMs } = result;
      // Only an outage is asked about here; any other failure is the per-record path's to judge.
      if (!this.outage.isTransient(error)) return false;
      const { record, envelope } = item;
      const at = { group, record, envelope, attempt: 1, waits, error };
      const decision = await this.policies.decide(handler, at);
      if (decision.action !== 'wait') return false;
      this.report(group, item, handler, 'unavailable', durationMs, error);
      await this.outage.wait(batch, ++waits, error, signal);
      if (signal.aborted || !batch.isActive()) return false;
    }
  }

  /** One transaction per handler for the chunk; the error when one rolled back. */
  private async runChunk(
    group: string,
    chunk: readonly PreparedRecord[],
    batch: RecordBatch,
  ): Promise<true | ChunkFailure> {
    const handled = chunk.filter((item): item is HandledRecord => item.kind === 'handle');
    const handlers = new Map<string, HandlerDefinition>();
    for (const item of handled)
      for (const { handler } of item.calls) handlers.set(handler.id, handler);
    for (const handler of handlers.values()) {
      const entries = handled.flatMap((item) =>
        item.calls
          .filter((call) => call.handler === handler)
          .map((call) => ({ item, event: call.event! })),
      );
      const started = performance.now();
      // The record the transaction was at when it failed (the claim counts as the first's).
      let at = entries[0].item;
      let fresh: ReadonlySet<string>;
      try {
        const ids = [...new Set(entries.map((e) => e.item.envelope.id))];
        fresh = await this.inbox.handleManyOnce(ids, handler.id, async (transaction, claimed) => {
          const done = new Set<string>();
          for (const { item, event } of entries) {
            const id = item.envelope.id;
            if (!claimed.has(id) || done.has(id)) continue;
            done.add(id);
            at = item;
            // Keeps the group membership alive through a long chunk (kafkajs throttles the calls).
            await batch.heartbeat().catch(() => undefined);
            const { envelope, record } = item;
            await handle(this.interceptors, {
              group,
              handler,
              event,
              envelope,
              record,
              attempt: 1,
              transaction,
            });
          }
        });
      } catch (error) {
        return { error, handler, item: at, durationMs: performance.now() - started };
      }
      const durationMs = (performance.now() - started) / entries.length;
      const reported = new Set<string>();
      for (const { item } of entries) {
        const id = item.envelope.id;
        const first = fresh.has(id) && !reported.has(id);
        reported.add(id);
        this.report(group, item, handler, first ? 'success' : 'duplicate', durationMs);
      }
    }
    return true;
  }

  /** Batch-path outcomes are all of first attempts: a failure leaves the record to the other path. */
  private report(
    group: string,
    { record, envelope }: HandledRecord,
    handler: HandlerDefinition,
    status: ProcessStatus,
    durationMs: number,
    error?: unknown,
  ): void {
    const facts = { group, record, envelope, handlerId: handler.id, status, attempt: 1 };
    this.interceptors.outcome(processOutcome({ ...facts, durationMs, error }));
  }
}
