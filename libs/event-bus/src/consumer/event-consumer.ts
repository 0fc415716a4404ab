import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS, EVENT_TRANSPORT } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type {
  EventTransport,
  IncomingRecord,
  RecordBatch,
  TransportSubscription,
} from '../transports/event-transport.interface';
import { HandlerRegistry } from '../discovery/handler.registry';
import { processBatchByKey } from './keyed-executor';
import { ProcessingStoppedError, RecordProcessor } from './record-processor';
import { DependencyOutage } from './dependency-outage';
import { InvalidEventError } from '../errors/invalid-event.error';
import { TransactionBatchProcessor } from './transaction-batch.processor';
import { RecordPreparer } from './pipeline/record-preparer';
import type { PreparedRecord } from './pipeline/prepared-record';
import { InterceptorChain } from '../interceptors/interceptor-chain';
import { consumerGroupReads, handlersOutlivedShutdown } from '../event-bus.messages';

export interface ConsumerGroupInfo {
  groupId: string;
  topics: string[];
}

/** A partition whose batch has made no progress (no offset committed) for `stalledMs`. */
export interface StalledPartition {
  groupId: string;
  topic: string;
  partition: number;
  stalledMs: number;
}

/**
 * Subscribes one consumer group per handler group to exactly the topics its handlers need (the
 * interest-based routing), and feeds each partition's batches through the record processor.
 */
@Injectable()
export class EventConsumer {
  private readonly logger = new Logger(EventConsumer.name);
  private readonly subscriptions: Array<{ groupId: string; subscription: TransportSubscription }> =
    [];
  private stopping = new AbortController();
  /** Batches in progress, by group and partition: when each last moved. */
  private readonly progress = new Map<string, StalledPartition & { movedAt: number }>();
  /** Records taken from the transport and not finished, over every group and partition. */
  private inFlight = 0;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly handlers: HandlerRegistry,
    private readonly processor: RecordProcessor,
    private readonly batches: TransactionBatchProcessor,
    private readonly preparer: RecordPreparer,
    private readonly interceptors: InterceptorChain,
    private readonly outage: DependencyOutage,
  ) {}

  /** The groups and topics this application consumes. */
  plannedGroups(): ConsumerGroupInfo[] {
    return [...this.handlers.byGroup()].map(([groupId, handlers]) => ({
      groupId,
      topics: [...new Set(handlers.map((h) => h.event.topic))].sort(),
    }));
  }

  /** Each consumer group of this instance: joined, and how many partitions it holds. */
  status(): Array<{ groupId: string; joined: boolean; partitions: number }> {
    // A transport that cannot tell is taken at its word that a started subscription runs.
    return this.subscriptions.map(({ groupId, subscription }) => ({
      groupId,
      ...(subscription.status?.() ?? { joined: true, partitions: -1 }),
    }));
  }

  /** Partitions that have not moved for longer than `thresholdMs` (health reads it). */
  stalled(thresholdMs: number): StalledPartition[] {
    const now = Date.now();
    const stalled: StalledPartition[] = [];
    for (const { groupId, topic, partition, movedAt } of this.progress.values()) {
      if (now - movedAt > thresholdMs)
        stalled.push({ groupId, topic, partition, stalledMs: now - movedAt });
    }
    return stalled;
  }

  async start(): Promise<void> {
    this.stopping = new AbortController();
    this.handlers.seal();
    const { consumer } = this.options;
    for (const group of this.plannedGroups()) {
      const subscription = await this.transport.subscribe(
        {
          groupId: group.groupId,
          topics: group.topics,
          fromBeginning: consumer.fromBeginning,
          maxBatchSize: consumer.maxBatchSize,
          partitionsConcurrently: consumer.partitionsConcurrently,
        },
        (batch) => this.onBatch(group.groupId, batch),
      );
      this.subscriptions.push({ groupId: group.groupId, subscription });
      this.logger.log(consumerGroupReads(group.groupId, group.topics.join(', ')));
    }
  }

  /**
   * Stops taking records and interrupts retry waits, lets handler calls in flight finish (up to
   * `shutdownTimeoutMs`), commits what is done and leaves the groups. Records not finished are
   * redelivered later; the inbox makes that safe.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    const closing = Promise.all(this.subscriptions.map((s) => s.subscription.close()));
    const timeout = this.options.shutdownTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeout);
    });
    const result = await Promise.race([closing.then(() => 'closed' as const), expired]);
    clearTimeout(timer);
    if (result === 'expired') {
      this.logger.warn(handlersOutlivedShutdown(timeout));
    }
    this.subscriptions.length = 0;
  }

  private async onBatch(groupId: string, batch: RecordBatch): Promise<void> {
    const taken = batch.records.length;
    this.interceptors.inFlight((this.inFlight += taken));
    const key = `${groupId}\u0000${batch.topic}\u0000${batch.partition}`;
    const entry = {
      groupId,
      topic: batch.topic,
      partition: batch.partition,
      stalledMs: 0,
      movedAt: Date.now(),
    };
    this.progress.set(key, entry);
    const tracked: RecordBatch = {
      topic: batch.topic,
      partition: batch.partition,
      records: batch.records,
      heartbeat: () => batch.heartbeat(),
      isActive: () => batch.isActive(),
      commit: async (nextOffset) => {
        await batch.commit(nextOffset);
        entry.movedAt = Date.now();
      },
    };
    try {
      await this.processBatch(groupId, tracked);
    } finally {
      if (this.progress.get(key) === entry) this.progress.delete(key);
      this.interceptors.inFlight((this.inFlight -= taken));
    }
  }

  /**
   * Prepares one record. A payload codec that met an outage (a schema registry unreachable)
   * throws something other than `InvalidEventError`; that is waited out like an unavailable
   * database (the partition holds its place, heart-beats, and decodes again), never
   * dead-lettered. JSON never gets here: its failures are all `InvalidEventError`.
   */
  private async prepare(
    groupId: string,
    record: IncomingRecord,
    batch: RecordBatch,
    signal: AbortSignal,
  ): Promise<PreparedRecord> {
    for (let waits = 1; ; waits++) {
      const prepared = await this.preparer.prepare(groupId, record);
      if (
        prepared.kind !== 'invalid' ||
        prepared.error instanceof InvalidEventError ||
        !this.outage.isTransient(prepared.error)
      ) {
        if (waits > 1) this.outage.recovered(batch);
        return prepared;
      }
      await this.outage.wait(batch, waits, prepared.error, signal);
      if (signal.aborted || !batch.isActive()) throw new ProcessingStoppedError();
    }
  }

  /**
   * The consume pipeline for one partition's batch: every record prepared once (decode, route,
   * upcast, validate), then the batch path for the routine prefix and the per-record path,
   * concurrent across keys, for the rest.
   */
  private async processBatch(groupId: string, batch: RecordBatch): Promise<void> {
    const signal = this.stopping.signal;
    let prepared: PreparedRecord[] = [];
    for (const record of batch.records) {
      prepared.push(await this.prepare(groupId, record, batch, signal));
    }
    if (this.batches.enabled) {
      const done = await this.batches.process(groupId, batch, prepared, signal);
      if (done < 0 || done === prepared.length) return;
      prepared = prepared.slice(done);
    }
    const rest: RecordBatch = {
      topic: batch.topic,
      partition: batch.partition,
      records: prepared.map((item) => item.record),
      heartbeat: () => batch.heartbeat(),
      isActive: () => batch.isActive(),
      commit: (nextOffset) => batch.commit(nextOffset),
    };
    await processBatchByKey(rest, this.options.consumer.concurrency, (_record, index) =>
      this.processor.process(groupId, prepared[index], rest, signal),
    );
  }
}
