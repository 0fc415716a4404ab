import { Logger } from '@nestjs/common';
import {
  Admin,
  CompressionTypes,
  Consumer,
  EachBatchPayload,
  Kafka,
  KafkaJSError,
  Partitioners,
  Producer,
} from 'kafkajs';
import type {
  BatchHandler,
  EventTransport,
  OutgoingRecord,
  PartitionLag,
  SubscribeOptions,
  TopicSpec,
  TransportSubscription,
} from '../event-transport.interface';
import { lagBehind } from '../partition-lag';
import { TransportError } from '../../errors/transport.error';
import {
  kafkaConnectFailed,
  kafkaConsumerCrashed,
  kafkaDidNotAnswer,
  kafkaSendFailed,
  kafkaSendNotAcknowledged,
  topicsCreated,
  topicsNotCreated,
  transportClosed,
} from '../../event-bus.messages';
import { KAFKA_DEFAULTS, KafkaTransportOptions } from './kafka-transport-options.interface';
import { kafkaLogCreator } from './kafka-log.bridge';
import { toIncomingRecord } from './kafka-record.mapper';
import { describeError } from '../../util/describe-error';
import { TimeoutError, withTimeout } from '../../util/with-timeout';

const REBALANCE_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
]);

/** How long a health check waits for the cluster to describe itself. */
const HEALTH_TIMEOUT_MS = 3000;

type ResolvedKafkaOptions = Required<Omit<KafkaTransportOptions, 'ssl' | 'sasl'>> &
  Pick<KafkaTransportOptions, 'ssl' | 'sasl'>;

/**
 * Kafka through kafkajs, behind the transport interface so another client can replace it.
 * Producer: acks from all in-sync replicas, one request in flight, no retries inside kafkajs
 * (the relay retries; see `sendRetry`), each send bounded by `sendTimeoutMs`.
 * Consumer: `eachBatch` per partition in order, offsets committed explicitly after the
 * handlers' transactions commit, no automatic topic creation.
 */
export class KafkaTransport implements EventTransport {
  readonly name = 'kafka';
  readonly durable = true;
  private readonly logger = new Logger(KafkaTransport.name);
  private readonly options: ResolvedKafkaOptions;
  private readonly kafka: Kafka;
  private producer?: Producer;
  private admin?: Admin;
  private readonly consumers = new Set<Consumer>();
  private closed = false;

  constructor(options: KafkaTransportOptions, serviceId: string) {
    this.options = { ...KAFKA_DEFAULTS, clientId: serviceId, ...options } as ResolvedKafkaOptions;
    this.kafka = new Kafka({
      clientId: this.options.clientId,
      brokers: this.options.brokers,
      ssl: this.options.ssl,
      sasl: this.options.sasl,
      connectionTimeout: this.options.connectionTimeoutMs,
      requestTimeout: this.options.requestTimeoutMs,
      logCreator: kafkaLogCreator,
    });
  }

  async connect(): Promise<void> {
    this.closed = false;
    this.admin ??= this.kafka.admin();
    this.producer ??= this.kafka.producer({
      idempotent: false, // kafkajs needs retries for idempotence, and its retry loses records
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: this.sendRetry(),
    });
    try {
      await this.admin.connect();
      await this.producer.connect();
    } catch (error) {
      throw new TransportError(
        kafkaConnectFailed(this.options.brokers.join(', '), describeError(error)),
        { cause: error },
      );
    }
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    const admin = this.requireAdmin();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
        })),
      });
      this.logger.log(topicsCreated(missing.map((t) => t.name).join(', ')));
    } catch (error) {
      throw new TransportError(
        topicsNotCreated(
          topics.map((t) => t.name).join(', '),
          this.options.brokers.join(', '),
          describeError(error),
        ),
        { cause: error, retriable: isRetriable(error) },
      );
    }
  }

  async send(records: OutgoingRecord[]): Promise<void> {
    if (this.closed || !this.producer) throw new TransportError(transportClosed());
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const record of records)
      byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record]);
    try {
      const sending = this.producer.sendBatch({
        acks: -1,
        compression:
          this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        })),
      });
      // Past the bound the caller treats the send as failed and retries later; if it lands
      // after all, the consumers' inbox absorbs the copy.
      sending.catch(() => undefined);
      await withTimeout(
        sending,
        this.options.sendTimeoutMs,
        kafkaSendNotAcknowledged(this.options.sendTimeoutMs),
      );
    } catch (error) {
      throw new TransportError(kafkaSendFailed(describeError(error)), {
        cause: error,
        retriable: isRetriable(error),
      });
    }
  }

  async subscribe(
    options: SubscribeOptions,
    handler: BatchHandler,
  ): Promise<TransportSubscription> {
    if (this.closed) throw new TransportError(transportClosed());
    let stopping = false;
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
      // Restart after any crash (the inbox makes reprocessing safe, stopping is not), unless we
      // are closing: a restart scheduled then would bring back a consumer nobody closes.
      retry: { restartOnFailure: async () => !stopping && !this.closed },
    });
    const state = { joined: false, partitions: 0 };
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      state.joined = true;
      state.partitions = Object.values(event.payload.memberAssignment).reduce(
        (n, p) => n + p.length,
        0,
      );
    });
    consumer.on(consumer.events.STOP, () => {
      state.joined = false;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      state.joined = false;
      this.logger.error(kafkaConsumerCrashed(options.groupId, describeError(event.payload.error)));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently,
      eachBatch: (payload) =>
        this.onBatch(consumer, payload, options.maxBatchSize, handler, () => stopping),
    });
    this.consumers.add(consumer);
    return {
      status: () => ({ ...state }),
      pause: (topic, partition) => consumer.pause([{ topic, partitions: [partition] }]),
      resume: (topic, partition) => consumer.resume([{ topic, partitions: [partition] }]),
      close: async () => {
        stopping = true;
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async checkHealth(): Promise<void> {
    const admin = this.requireAdmin();
    try {
      await withTimeout(
        admin.describeCluster(),
        HEALTH_TIMEOUT_MS,
        kafkaDidNotAnswer(HEALTH_TIMEOUT_MS),
      );
    } catch (error) {
      throw error instanceof TimeoutError ? new TransportError(error.message) : error;
    }
  }

  async consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const admin = this.requireAdmin();
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId, topics }),
      Promise.all(
        topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
      ),
    ]);
    const lags: PartitionLag[] = [];
    for (const { topic, offsets } of ends) {
      const group = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const { partition, high, low } of offsets) {
        // kafkajs answers '-1' for a partition the group committed nothing in.
        const offset = group.find((p) => p.partition === partition)?.offset ?? '-1';
        const committed = offset === '-1' ? undefined : BigInt(offset);
        lags.push({ topic, partition, lag: lagBehind(BigInt(high), BigInt(low), committed) });
      }
    }
    return lags;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.disconnect().catch(() => undefined)));
    this.consumers.clear();
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.admin = undefined;
  }

  /** Hands a kafkajs batch over in chunks of `maxBatchSize`, committing as each chunk is done. */
  private async onBatch(
    consumer: Consumer,
    payload: EachBatchPayload,
    maxBatchSize: number,
    handler: BatchHandler,
    stopping: () => boolean,
  ): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    // kafkajs tells a member its partitions are being taken away only through a heartbeat
    // error; remember it so the batch stops instead of working on for another member.
    let revoked = false;
    const beat = async (): Promise<void> => {
      try {
        await heartbeat();
      } catch (error) {
        if (REBALANCE_ERRORS.has((error as { type?: string }).type ?? '')) revoked = true;
        throw error;
      }
    };
    const active = (): boolean => !stopping() && !revoked && isRunning() && !isStale();
    for (let start = 0; start < batch.messages.length && active(); start += maxBatchSize) {
      const messages = batch.messages.slice(start, start + maxBatchSize);
      await handler({
        topic: batch.topic,
        partition: batch.partition,
        records: messages.map((m) => toIncomingRecord(batch.topic, batch.partition, m)),
        heartbeat: beat,
        isActive: active,
        commit: async (nextOffset) => {
          resolveOffset(String(BigInt(nextOffset) - 1n));
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: nextOffset },
          ]);
        },
      });
    }
  }

  /**
   * No retries inside kafkajs: within one `sendBatch`, kafkajs 2.2.4 keeps the responses of the
   * brokers that answered, and a retry after a leader moved to one of them sends that partition's
   * records nowhere yet resolves (tulios/kafkajs#1303; 4 of 1,000 events lost in
   * test/kafka-cluster.e2e-spec.ts). A failed send rejects as a whole instead, and the relay
   * sends the batch again with its own backoff; the inbox absorbs the copies. kafkajs refuses an
   * idempotent producer without retries, so the producer is not idempotent: ordering rests on one
   * request in flight and on the relay sending a key's rows only after the older ones succeeded.
   */
  private sendRetry() {
    return { retries: 0 };
  }

  private requireAdmin(): Admin {
    if (this.closed || !this.admin) throw new TransportError(transportClosed());
    return this.admin;
  }
}

/**
 * kafkajs gives up on transient errors with KafkaJSNumberOfRetriesExceeded (marked not
 * retriable); for the relay that is still a condition to retry later, unlike a refused record.
 */
function isRetriable(error: unknown): boolean {
  if (!(error instanceof KafkaJSError)) return true;
  if (error.name === 'KafkaJSNumberOfRetriesExceeded') return true;
  return error.retriable;
}
