import { Logger } from '@nestjs/common';
import { OutgoingRecord, TopicSpec } from '../event-transport.interface';
import { BackpressureError, TransportError } from '../../errors/transport.error';
import {
  overflowRejected,
  sendAbortedWaitingForRoom,
  topicFullSenderWaits,
  unknownTopic,
} from '../../event-bus.messages';
import { partitionForKey } from '../../util/key-hash';
import { PartitionLog } from './partition-log';
import { InMemoryGroup } from './in-memory-group';

/** What a full in-memory topic does with a new record: `block` the sender until there is room, or `reject` it. */
export type OverflowPolicy = 'block' | 'reject';

/** Limits of an `InMemoryBroker`: records held per partition, and what a full partition does. */
export interface InMemoryBrokerOptions {
  /**
   * Records a partition keeps that some subscribed group has not committed yet. When reached,
   * `overflow` decides: `block` makes senders wait for consumers, `reject` fails the send.
   */
  maxRecordsPerPartition?: number;
  overflow?: OverflowPolicy;
}

/**
 * A process-local broker with Kafka's semantics where the bus relies on them: topics split into
 * partitions by key hash, order per partition, consumer groups with committed offsets, and
 * redelivery of what was not committed. Nothing survives the process.
 */
export class InMemoryBroker {
  private static shared?: InMemoryBroker;
  private readonly logger = new Logger(InMemoryBroker.name);
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, InMemoryGroup>();
  private roundRobin = 0;
  readonly maxRecordsPerPartition: number;
  readonly overflow: OverflowPolicy;

  constructor(options: InMemoryBrokerOptions = {}) {
    this.maxRecordsPerPartition = options.maxRecordsPerPartition ?? 100_000;
    this.overflow = options.overflow ?? 'block';
  }

  /** The broker shared by every in-memory transport of this process that was given none. */
  static default(): InMemoryBroker {
    InMemoryBroker.shared ??= new InMemoryBroker();
    return InMemoryBroker.shared;
  }

  createTopic(spec: Pick<TopicSpec, 'name' | 'partitions'>): void {
    const existing = this.topics.get(spec.name);
    if (existing) {
      for (let p = existing.length; p < spec.partitions; p++) {
        existing.push(new PartitionLog(spec.name, p));
      }
      return;
    }
    this.topics.set(
      spec.name,
      Array.from({ length: spec.partitions }, (_, p) => new PartitionLog(spec.name, p)),
    );
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  partitions(topic: string): PartitionLog[] {
    const logs = this.topics.get(topic);
    if (!logs) throw new TransportError(unknownTopic(topic), { retriable: false });
    return logs;
  }

  /** The group, if any member ever joined it (unlike `group()`, never creates one). */
  findGroup(groupId: string): InMemoryGroup | undefined {
    return this.groups.get(groupId);
  }

  group(groupId: string): InMemoryGroup {
    let group = this.groups.get(groupId);
    if (!group) {
      group = new InMemoryGroup(groupId, this);
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** Appends records in order; each waits for room under the `block` policy. */
  async append(records: OutgoingRecord[], signal?: AbortSignal): Promise<void> {
    for (const record of records) {
      const logs = this.partitions(record.topic);
      const partition =
        record.key === null
          ? this.roundRobin++ % logs.length
          : partitionForKey(record.key, logs.length);
      const log = logs[partition];
      await this.makeRoom(log, signal);
      log.append(record);
    }
  }

  /** Offsets committed by every group subscribed to `topic`, or none when no group reads it. */
  private slowestCommitted(log: PartitionLog): number | undefined {
    let slowest: number | undefined;
    for (const group of this.groups.values()) {
      if (!group.readsTopic(log.topic)) continue;
      const committed = group.committedOffset(log.topic, log.partition) ?? log.logStartOffset;
      slowest = slowest === undefined ? committed : Math.min(slowest, committed);
    }
    return slowest;
  }

  private async makeRoom(log: PartitionLog, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (log.size < this.maxRecordsPerPartition) return;
      const slowest = this.slowestCommitted(log);
      if (slowest === undefined) {
        // Nobody reads this topic: behave like Kafka's size retention and drop the oldest record.
        log.trimTo(log.logStartOffset + 1);
        return;
      }
      log.trimTo(slowest);
      if (log.size < this.maxRecordsPerPartition) return;
      if (this.overflow === 'reject') {
        throw new BackpressureError(
          overflowRejected(log.topic, log.partition, this.maxRecordsPerPartition),
        );
      }
      if (signal?.aborted) throw new TransportError(sendAbortedWaitingForRoom());
      this.logger.debug(topicFullSenderWaits(log.topic, log.partition));
      await log.trimmed.wait(100);
    }
  }

  /** Called by groups when they commit, so blocked senders re-check for room. */
  onCommit(topic: string, partition: number, offset: number): void {
    const log = this.topics.get(topic)?.[partition];
    if (!log || log.size < this.maxRecordsPerPartition) return;
    const slowest = this.slowestCommitted(log);
    if (slowest !== undefined && slowest <= offset) log.trimTo(slowest);
  }
}
