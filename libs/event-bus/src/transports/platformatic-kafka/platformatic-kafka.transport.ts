import { Logger } from '@nestjs/common';
import {
  Admin,
  type BaseOptions,
  compatibilityPartitioner,
  type Partitioner,
  Producer,
  ProduceAcks,
} from '@platformatic/kafka';
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
  kafkaClientError,
  kafkaConnectFailed,
  kafkaDidNotAnswer,
  kafkaSendFailed,
  kafkaSendNotAcknowledged,
  topicsCreated,
  topicsNotCreated,
  transportClosed,
} from '../../event-bus.messages';
import { KAFKA_DEFAULTS } from '../kafka/kafka-transport-options.interface';
import type { PlatformaticKafkaTransportOptions } from './platformatic-kafka-transport-options.interface';
import { hasProtocolError, isRetriable } from './platformatic-kafka-errors';
import { toMessage } from './platformatic-kafka-record.mapper';
import { PlatformaticKafkaSubscription } from './platformatic-kafka.subscription';
import { describeError } from '../../util/describe-error';
import { TimeoutError, withTimeout } from '../../util/with-timeout';

/** How long a health check waits for the cluster to describe itself. */
const HEALTH_TIMEOUT_MS = 3000;
/** How long `ensureTopics` waits for the partitions of new topics to have leaders. */
const LEADERS_TIMEOUT_MS = 10_000;
/** Retries inside the client (connection, metadata, group calls), and the pause between. */
const CLIENT_RETRIES = 3;
const CLIENT_RETRY_DELAY_MS = 250;

type ResolvedOptions = Required<Omit<PlatformaticKafkaTransportOptions, 'ssl' | 'sasl'>> &
  Pick<PlatformaticKafkaTransportOptions, 'ssl' | 'sasl'>;

/**
 * Kafka through `@platformatic/kafka`, with the port and semantics of `KafkaTransport` (kafkajs).
 * Producer: idempotent, so acks from all in-sync replicas and one request in flight per broker,
 * with the client's own retries (safe: the broker drops the copies), each send bounded by
 * `sendTimeoutMs`; keys partitioned as kafkajs and Java do (murmur2). Consumer: see
 * `PlatformaticKafkaSubscription`. No automatic topic creation.
 */
export class PlatformaticKafkaTransport implements EventTransport {
  /** The messaging system, as OpenTelemetry names it; the client does not change it. */
  readonly name = 'kafka';
  readonly durable = true;
  private readonly logger = new Logger(PlatformaticKafkaTransport.name);
  private readonly options: ResolvedOptions;
  private readonly client: BaseOptions;
  private producer?: Producer;
  private admin?: Admin;
  private readonly subscriptions = new Set<PlatformaticKafkaSubscription>();
  private closed = false;
  /**
   * The send in flight: the next one starts when it settles. The client numbers an idempotent
   * producer's batches when their acknowledgement arrives, so two sends in flight to a partition
   * carry the same sequence numbers, and the broker rejects the second or, when it is as long as
   * the first, acknowledges it as a duplicate without writing it (records lost). kafkajs queues
   * its sends itself (`maxInFlightRequests: 1`); this client does not.
   */
  private sending: Promise<unknown> = Promise.resolve();
  /** Spreads records without a key over the partitions, as kafkajs does. */
  private unkeyed = 0;

  constructor(options: PlatformaticKafkaTransportOptions, serviceId: string) {
    this.options = { ...KAFKA_DEFAULTS, clientId: serviceId, ...options } as ResolvedOptions;
    const { ssl, sasl } = this.options;
    this.client = {
      clientId: this.options.clientId,
      bootstrapBrokers: this.options.brokers,
      connectTimeout: this.options.connectionTimeoutMs,
      requestTimeout: this.options.requestTimeoutMs,
      timeout: this.options.requestTimeoutMs,
      retries: CLIENT_RETRIES,
      retryDelay: CLIENT_RETRY_DELAY_MS,
      autocreateTopics: false,
      ...(ssl ? { tls: ssl === true ? {} : ssl } : {}),
      ...(sasl
        ? {
            sasl: {
              mechanism: sasl.mechanism.toUpperCase() as 'PLAIN',
              username: sasl.username,
              password: sasl.password,
            },
          }
        : {}),
    };
  }

  async connect(): Promise<void> {
    this.closed = false;
    this.admin ??= this.watch(new Admin(this.client));
    this.producer ??= this.watch(
      new Producer({
        ...this.client,
        idempotent: true,
        acks: ProduceAcks.ALL,
        compression: this.options.compression === 'gzip' ? 'gzip' : 'none',
        partitioner: this.partitioner,
      }),
    );
    try {
      // The clients connect on first use; asking for the cluster's metadata is that use.
      await this.admin.metadata({ topics: [], forceUpdate: true });
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
      // One request per shape: the API takes one partition count and replication factor.
      const shapes = new Map<string, TopicSpec[]>();
      for (const topic of missing) {
        const shape = `${topic.partitions}:${topic.replicationFactor}`;
        shapes.set(shape, [...(shapes.get(shape) ?? []), topic]);
      }
      for (const list of shapes.values()) {
        await admin
          .createTopics({
            topics: list.map((t) => t.name),
            partitions: list[0].partitions,
            replicas: list[0].replicationFactor,
          })
          .catch((error: unknown) => {
            // Another instance created them first: what we wanted.
            if (!hasProtocolError(error, 'TOPIC_ALREADY_EXISTS')) throw error;
          });
      }
      await this.waitForLeaders(missing.map((t) => t.name));
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
    const producer = this.producer;
    try {
      const messages = records.map(toMessage);
      const sending = this.sending.then(() => producer.send({ messages }));
      // The next send waits for this one to settle (not for the caller's bound, below).
      this.sending = sending.catch(() => undefined);
      // Past the bound the caller treats the send as failed and retries later; if it lands
      // after all (or leaves the queue later), the consumers' inbox absorbs the copy.
      await withTimeout(
        sending,
        this.options.sendTimeoutMs,
        kafkaSendNotAcknowledged(this.options.sendTimeoutMs),
      );
    } catch (error) {
      throw new TransportError(kafkaSendFailed(describeError(error)), {
        cause: error,
        retriable: error instanceof TimeoutError || isRetriable(error),
      });
    }
  }

  async subscribe(
    options: SubscribeOptions,
    handler: BatchHandler,
  ): Promise<TransportSubscription> {
    if (this.closed) throw new TransportError(transportClosed());
    const subscription = new PlatformaticKafkaSubscription(
      {
        ...this.client,
        groupId: options.groupId,
        sessionTimeout: this.options.sessionTimeoutMs,
        heartbeatInterval: this.options.heartbeatIntervalMs,
        maxBytesPerPartition: this.options.maxBytesPerPartition,
      },
      options,
      handler,
    );
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.subscriptions.delete(subscription);
      await subscription.close();
      throw new TransportError(
        kafkaConnectFailed(this.options.brokers.join(', '), describeError(error)),
        { cause: error },
      );
    }
    return {
      status: () => subscription.status(),
      pause: (topic, partition) => subscription.pause(topic, partition),
      resume: (topic, partition) => subscription.resume(topic, partition),
      close: async () => {
        this.subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }

  async checkHealth(): Promise<void> {
    const admin = this.requireAdmin();
    try {
      await withTimeout(
        admin.metadata({ topics: [], forceUpdate: true }),
        HEALTH_TIMEOUT_MS,
        kafkaDidNotAnswer(HEALTH_TIMEOUT_MS),
      );
    } catch (error) {
      throw error instanceof TimeoutError ? new TransportError(error.message) : error;
    }
  }

  async consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const admin = this.requireAdmin();
    const metadata = await admin.metadata({ topics });
    const partitionsOf = (topic: string): number[] =>
      Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i);
    const ends = (timestamp: bigint) =>
      admin.listOffsets({
        topics: topics.map((name) => ({
          name,
          partitions: partitionsOf(name).map((partitionIndex) => ({ partitionIndex, timestamp })),
        })),
      });
    const [groups, highs, lows] = await Promise.all([
      admin.listConsumerGroupOffsets({
        groups: [
          {
            groupId,
            topics: topics.map((name) => ({ name, partitionIndexes: partitionsOf(name) })),
          },
        ],
      }),
      ends(-1n),
      ends(-2n),
    ]);
    const committed = new Map<string, bigint>();
    for (const topic of groups[0]?.topics ?? []) {
      for (const p of topic.partitions) {
        committed.set(`${topic.name}:${p.partitionIndex}`, p.committedOffset);
      }
    }
    const low = new Map<string, bigint>();
    for (const topic of lows) {
      for (const p of topic.partitions) low.set(`${topic.name}:${p.partitionIndex}`, p.offset);
    }
    const lags: PartitionLag[] = [];
    for (const topic of highs) {
      for (const { partitionIndex: partition, offset: high } of topic.partitions) {
        const key = `${topic.name}:${partition}`;
        // -1: the group committed nothing in the partition.
        const offset = committed.get(key);
        const lag = lagBehind(high, low.get(key) ?? 0n, offset === -1n ? undefined : offset);
        lags.push({ topic: topic.name, partition, lag });
      }
    }
    return lags.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close().catch(() => undefined)));
    this.subscriptions.clear();
    // The sends already queued go out (within their bound) before the producer closes.
    await withTimeout(this.sending, this.options.sendTimeoutMs, '').catch(() => undefined);
    await this.producer?.close().catch(() => undefined);
    await this.admin?.close().catch(() => undefined);
    this.producer = undefined;
    this.admin = undefined;
  }

  /** Java's and kafkajs' partitioner for keys (murmur2), round robin without one. */
  private readonly partitioner: Partitioner<Buffer, Buffer, Buffer, Buffer> = (message, key) =>
    key ? compatibilityPartitioner(message, key) : this.unkeyed++ & 0x7fffffff;

  /** New topics take a moment to elect leaders; a send before then would fail. */
  private async waitForLeaders(topics: string[]): Promise<void> {
    const admin = this.requireAdmin();
    const deadline = Date.now() + LEADERS_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const metadata = await admin.metadata({ topics, forceUpdate: true }).catch(() => undefined);
      const ready = topics.every((name) => {
        const topic = metadata?.topics.get(name);
        return topic !== undefined && topic.partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The clients emit `error` when giving up on a background task; unheard, it would crash. */
  private watch<T extends Admin | Producer>(client: T): T {
    client.on('error', (error: unknown) =>
      this.logger.warn(kafkaClientError(describeError(error))),
    );
    return client;
  }

  private requireAdmin(): Admin {
    if (this.closed || !this.admin) throw new TransportError(transportClosed());
    return this.admin;
  }
}
