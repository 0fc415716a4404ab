import { randomBytes } from 'node:crypto';
import { Admin, Consumer, EachBatchPayload, Kafka, logCreator } from 'kafkajs';
import { TransportError } from '../../errors/transport.error';
import { kafkaConnectFailed, topicReadIdle, unknownTopic } from '../../event-bus.messages';
import type {
  PartitionRange,
  RecordSink,
  TopicReader,
  TopicReadOptions,
  TopicReadResult,
} from '../topic-reader.interface';
import { KAFKA_DEFAULTS, KafkaTransportOptions } from './kafka-transport-options.interface';
import { kafkaLogCreator } from './kafka-log.bridge';
import { toIncomingRecord } from './kafka-record.mapper';
import { describeError } from '../../util/describe-error';

/** Connection options of a `KafkaTopicReader`. */
export interface KafkaTopicReaderOptions {
  /** kafkajs logs; routed to Nest's logger by default. */
  logCreator?: logCreator;
  /** A read fails when no record arrives for this long while some are still due. */
  idleTimeoutMs?: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * Reads Kafka topics for operator tools. Each read uses a throwaway consumer group that never
 * commits, seeks to the start offsets, stops at the end offsets captured when the read began,
 * and is deleted afterwards; the services' groups are never touched.
 */
export class KafkaTopicReader implements TopicReader {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly options: KafkaTransportOptions;
  private readonly idleTimeoutMs: number;
  private connected = false;
  /** Ends the read in progress, if any. */
  private interrupt?: (reason: unknown) => void;

  constructor(
    options: KafkaTransportOptions,
    private readonly clientId: string,
    readerOptions: KafkaTopicReaderOptions = {},
  ) {
    this.options = { ...KAFKA_DEFAULTS, ...options };
    this.idleTimeoutMs = readerOptions.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.kafka = new Kafka({
      clientId: options.clientId ?? clientId,
      brokers: options.brokers,
      ssl: options.ssl,
      sasl: options.sasl,
      connectionTimeout: this.options.connectionTimeoutMs,
      requestTimeout: this.options.requestTimeoutMs,
      // An operator waits for the answer: give up on an unreachable broker within seconds.
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      logCreator: readerOptions.logCreator ?? kafkaLogCreator,
    });
    this.admin = this.kafka.admin();
  }

  /** Fails with a `TransportError` when no broker answers. */
  async connect(): Promise<void> {
    try {
      await this.admin.connect();
      await this.admin.describeCluster();
      this.connected = true;
    } catch (error) {
      throw new TransportError(
        kafkaConnectFailed(this.options.brokers.join(', '), describeError(error)),
        { cause: error },
      );
    }
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async partitions(topic: string): Promise<PartitionRange[]> {
    if (!(await this.admin.listTopics()).includes(topic)) {
      throw new TransportError(unknownTopic(topic), { retriable: false });
    }
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets
      .map(({ partition, low, high }) => ({ partition, low, high }))
      .sort((a, b) => a.partition - b.partition);
  }

  async read(
    topic: string,
    sink: RecordSink,
    options: TopicReadOptions = {},
  ): Promise<TopicReadResult> {
    const all = await this.partitions(topic);
    const ranges = all.filter(
      (r) => !options.partitions || options.partitions.includes(r.partition),
    );
    // Next offset to hand over, and the end, per partition still to read.
    const next = new Map<number, bigint>();
    const end = new Map<number, bigint>();
    let total = 0n;
    for (const range of ranges) {
      const from = BigInt(options.from?.get(range.partition) ?? range.low);
      const start = from > BigInt(range.low) ? from : BigInt(range.low);
      if (start >= BigInt(range.high)) continue;
      next.set(range.partition, start);
      end.set(range.partition, BigInt(range.high));
      total += BigInt(range.high) - start;
    }
    if (next.size === 0) return { read: 0, total: 0, stopped: false };

    const groupId = `${this.clientId}-reader-${randomBytes(6).toString('hex')}`;
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
      retry: { retries: 3, restartOnFailure: async () => false },
    });
    const state = { read: 0, stopped: false, done: false };
    let settle!: (error?: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      settle = (error) => {
        if (state.done) return;
        state.done = true;
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    this.interrupt = settle;
    let idle: NodeJS.Timeout | undefined;
    const watch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(
        () =>
          settle(new TransportError(topicReadIdle(topic, this.idleTimeoutMs / 1000, next.size))),
        this.idleTimeoutMs,
      );
    };

    const onBatch = async (payload: EachBatchPayload): Promise<void> => {
      const { batch } = payload;
      const from = next.get(batch.partition);
      const until = end.get(batch.partition);
      if (state.done || from === undefined || until === undefined) return;
      // No commits (autoCommit is off), but kafkajs fetches on from the resolved offset.
      payload.resolveOffset(batch.lastOffset());
      // A seek applied after an early fetch rewinds; `next` keeps each record handed over once.
      const records = batch.messages
        .filter((m) => BigInt(m.offset) >= from && BigInt(m.offset) < until)
        .map((m) => toIncomingRecord(topic, batch.partition, m));
      const reached = BigInt(batch.lastOffset()) + 1n;
      if (reached >= until) {
        next.delete(batch.partition);
        consumer.pause([{ topic, partitions: [batch.partition] }]);
      } else if (reached > from) {
        next.set(batch.partition, reached);
      }
      if (records.length > 0) {
        state.read += records.length;
        clearTimeout(idle);
        const more = await sink(records);
        if (more === false) {
          state.stopped = true;
          return settle();
        }
        options.onProgress?.(state.read, Number(total));
        await payload.heartbeat();
      }
      if (next.size === 0) settle();
      else watch();
    };

    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      consumer.on(consumer.events.CRASH, (event) => settle(event.payload.error));
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => onBatch(payload).catch((error: unknown) => settle(error)),
      });
      const unwanted = all.map((r) => r.partition).filter((p) => !next.has(p));
      if (unwanted.length > 0) consumer.pause([{ topic, partitions: unwanted }]);
      for (const range of ranges) {
        const start = next.get(range.partition);
        if (start !== undefined && start > BigInt(range.low)) {
          consumer.seek({ topic, partition: range.partition, offset: String(start) });
        }
      }
      watch();
      await finished;
      return { read: state.read, total: Number(total), stopped: state.stopped };
    } finally {
      state.done = true;
      this.interrupt = undefined;
      clearTimeout(idle);
      await this.dispose(consumer, groupId);
    }
  }

  /**
   * Ends the read in progress: it rejects with `reason` once its consumer has left and its
   * group is deleted (an operator's Ctrl-C, say).
   */
  abort(reason: unknown): void {
    this.interrupt?.(reason);
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
    this.connected = false;
  }

  private async dispose(consumer: Consumer, groupId: string): Promise<void> {
    await consumer.disconnect().catch(() => undefined);
    // The group never committed, so nothing is lost; deleting it keeps the broker's list clean.
    if (this.connected) await this.admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
