import { Inject, Injectable } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { IncomingRecord, RecordBatch } from '../transports/event-transport.interface';
import type { EventEnvelope } from '../envelope/event-envelope.interface';
import { CloudEventCodec } from '../envelope/cloud-event.codec';
import type { HandlerDefinition } from '../discovery/handler.registry';
import { InboxConsumer } from '../inbox/inbox.consumer';
import { InterceptorChain } from '../interceptors/interceptor-chain';
import { TransactionRunner } from '../database/transaction-runner';
import { buildEventContext } from './event-context.factory';
import { RecordRouter } from './record-router';
import { DependencyOutage } from './dependency-outage';

interface PreparedRecord {
  record: IncomingRecord;
  envelope: EventEnvelope;
  /** Handlers of this record with the event materialised for each; empty when it is skipped. */
  calls: Array<{ handler: HandlerDefinition; event: object }>;
}

/** Why a chunk's transaction rolled back, and where. */
interface ChunkFailure {
  error: unknown;
  handler: HandlerDefinition;
  item: PreparedRecord;
  durationMs: number;
}

/**
 * The fast path for well-formed records: per handler, one transaction per chunk of
 * `consumer.recordsPerTransaction` records claims all their inbox rows in one statement and
 * runs the handler for each new one, in offset order. Far fewer round trips than a
 * transaction per record, with the same exactly-once effect. At the first record that is not
 * routine (it fails to decode or validate, or a handler throws and the chunk rolls back) it
 * stops and returns the records still to do, for the per-record path to retry and
 * dead-letter one by one.
 */
@Injectable()
export class TransactionBatchProcessor {
  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly codec: CloudEventCodec,
    private readonly router: RecordRouter,
    private readonly inbox: InboxConsumer,
    private readonly interceptors: InterceptorChain,
    private readonly db: TransactionRunner,
    private readonly outage: DependencyOutage,
  ) {}

  get enabled(): boolean {
    return this.options.consumer.recordsPerTransaction > 1;
  }

  /** Processes what it can; returns the records left for the per-record path. */
  async process(
    group: string,
    batch: RecordBatch,
    signal: AbortSignal,
  ): Promise<readonly IncomingRecord[]> {
    const prepared = await this.prepare(group, batch.records);
    const size = this.options.consumer.recordsPerTransaction;
    for (let start = 0; start < prepared.length; start += size) {
      if (!batch.isActive() || signal.aborted) return [];
      const chunk = prepared.slice(start, start + size);
      if (!(await this.runChunkThroughOutages(group, chunk, batch, signal))) {
        // Stopped while waiting out an outage: nothing more here; the rest is redelivered.
        if (!batch.isActive() || signal.aborted) return [];
        return batch.records.slice(start);
      }
      const last = chunk[chunk.length - 1].record;
      await batch.commit(String(BigInt(last.offset) + 1n));
    }
    return batch.records.slice(prepared.length);
  }

  /** The routine prefix of the batch: records that decode and validate for all their handlers. */
  private async prepare(
    group: string,
    records: readonly IncomingRecord[],
  ): Promise<PreparedRecord[]> {
    const prepared: PreparedRecord[] = [];
    for (const record of records) {
      const route = this.router.route(group, record);
      if (route.kind === 'invalid') break;
      const { envelope } = route;
      if (route.kind === 'skip') {
        prepared.push({ record, envelope, calls: [] });
        continue;
      }
      const handlers = route.handlers;
      try {
        const calls = [];
        for (const handler of handlers) {
          calls.push({
            handler,
            event: await this.codec.materialize(envelope, handler.event.target),
          });
        }
        prepared.push({ record, envelope, calls });
      } catch {
        break;
      }
    }
    return prepared;
  }

  /**
   * Runs the chunk; while the database or broker is unavailable it waits and runs it again, so an
   * outage never sends routine records down the per-record path to spend their retries. False
   * when the chunk failed for another reason, or the partition stopped while waiting.
   */
  private async runChunkThroughOutages(
    group: string,
    chunk: PreparedRecord[],
    batch: RecordBatch,
    signal: AbortSignal,
  ): Promise<boolean> {
    for (let waits = 0; ;) {
      const result = await this.runChunk(group, chunk, batch);
      if (result === true) {
        if (waits > 0) this.outage.recovered(batch);
        return true;
      }
      if (!this.outage.isTransient(result.error)) return false;
      this.interceptors.outcome({
        handlerId: result.handler.id,
        eventId: result.item.envelope.id,
        type: result.item.envelope.type,
        eventTime: result.item.envelope.time,
        group,
        topic: result.item.record.topic,
        status: 'unavailable',
        attempt: 1,
        durationMs: result.durationMs,
        error: result.error,
      });
      await this.outage.wait(batch, ++waits, result.error, signal);
      if (signal.aborted || !batch.isActive()) return false;
    }
  }

  /** One transaction per handler for the chunk; the error when one rolled back. */
  private async runChunk(
    group: string,
    chunk: PreparedRecord[],
    batch: RecordBatch,
  ): Promise<true | ChunkFailure> {
    const handlers = new Map<string, HandlerDefinition>();
    for (const item of chunk)
      for (const { handler } of item.calls) handlers.set(handler.id, handler);
    for (const handler of handlers.values()) {
      const entries = chunk.flatMap((item) =>
        item.calls.filter((c) => c.handler === handler).map((c) => ({ item, event: c.event })),
      );
      const started = performance.now();
      // The record the transaction was at when it failed (the claim counts as the first's).
      let at = entries[0].item;
      let fresh: Set<string>;
      try {
        fresh = await this.db.run(async (manager) => {
          const claimed = await this.inbox.claimMany(
            manager,
            [...new Set(entries.map((e) => e.item.envelope.id))],
            handler.id,
          );
          const done = new Set<string>();
          for (const { item, event } of entries) {
            const id = item.envelope.id;
            if (!claimed.has(id) || done.has(id)) continue;
            done.add(id);
            at = item;
            // Keeps the group membership alive through a long chunk (kafkajs throttles the calls).
            await batch.heartbeat().catch(() => undefined);
            const context = buildEventContext(item.envelope, item.record, handler, 1, manager);
            await this.interceptors.aroundProcess(
              { handlerId: handler.id, group, event, context },
              () => handler.invoke(event, context),
            );
          }
          return claimed;
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
        this.interceptors.outcome({
          handlerId: handler.id,
          eventId: id,
          type: item.envelope.type,
          eventTime: item.envelope.time,
          group,
          topic: item.record.topic,
          status: first ? 'success' : 'duplicate',
          attempt: 1,
          durationMs,
        });
      }
    }
    return true;
  }
}
