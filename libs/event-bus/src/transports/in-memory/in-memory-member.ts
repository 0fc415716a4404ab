import { Logger } from '@nestjs/common';
import {
  BatchHandler,
  RecordBatch,
  SubscribeOptions,
  TransportSubscription,
} from '../event-transport.interface';
import { Semaphore } from '../../util/semaphore';
import { PartitionLoop } from '../partition-loop';
import { sleep } from '../../util/sleep';
import type { InMemoryBroker } from './in-memory-broker';
import { InMemoryGroup, partitionId } from './in-memory-group';
import { PartitionLog } from './partition-log';
import { inMemoryBatchFailed } from '../../event-bus.messages';

const RESTART_DELAY_MS = 500;
const REDELIVERY_DELAY_MS = 100;

/** One subscriber in a group; runs a fetch loop per assigned partition. */
export class InMemoryMember implements TransportSubscription {
  private readonly logger = new Logger(InMemoryMember.name);
  private readonly workers = new Map<string, PartitionWorker>();
  private readonly paused = new Set<string>();
  private readonly slots: Semaphore;
  private readonly group: InMemoryGroup;
  private closed = false;

  constructor(
    private readonly broker: InMemoryBroker,
    private readonly options: SubscribeOptions,
    private readonly handler: BatchHandler,
  ) {
    this.group = broker.group(options.groupId);
    this.slots = new Semaphore(options.partitionsConcurrently);
  }

  get topics(): string[] {
    return this.options.topics;
  }

  start(): Promise<void> {
    return this.group.join(this);
  }

  pause(topic: string, partition: number): void {
    this.paused.add(partitionId(topic, partition));
  }

  resume(topic: string, partition: number): void {
    const id = partitionId(topic, partition);
    this.paused.delete(id);
    this.workers.get(id)?.wake();
  }

  status(): { joined: boolean; partitions: number } {
    return { joined: !this.closed, partitions: this.workers.size };
  }

  isPaused(id: string): boolean {
    return this.paused.has(id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.group.leave(this);
  }

  /** Called by the group. */
  assign(id: string): void {
    const [topic, partition] = id.split('\u0000');
    const log = this.broker.partitions(topic)[Number(partition)];
    const worker = new PartitionWorker(
      this,
      this.group,
      log,
      this.options,
      this.handler,
      this.slots,
    );
    this.workers.set(id, worker);
    worker.start();
  }

  /** Called by the group; resolves once the partition's batch in progress has finished. */
  async revoke(id: string): Promise<void> {
    const worker = this.workers.get(id);
    this.workers.delete(id);
    if (worker) await worker.stop();
  }

  reportError(topic: string, partition: number, error: unknown): void {
    this.logger.error(inMemoryBatchFailed(topic, partition, String(error)));
  }
}

class PartitionWorker extends PartitionLoop {
  constructor(
    private readonly member: InMemoryMember,
    private readonly group: InMemoryGroup,
    private readonly log: PartitionLog,
    private readonly options: SubscribeOptions,
    private readonly handler: BatchHandler,
    private readonly slots: Semaphore,
  ) {
    super();
  }

  private startPosition(): number {
    const committed = this.group.committedOffset(this.log.topic, this.log.partition);
    if (committed !== undefined) return committed;
    return this.options.fromBeginning ? this.log.logStartOffset : this.log.nextOffset;
  }

  protected async run(): Promise<void> {
    const id = partitionId(this.log.topic, this.log.partition);
    let position = this.startPosition();
    while (this.active) {
      if (this.member.isPaused(id)) {
        await this.wakeSignal.wait(1000);
        continue;
      }
      const records = this.log.read(position, this.options.maxBatchSize);
      if (records.length === 0) {
        // Both waits time out, so the loser of the race does not leave a waiter behind for good.
        await Promise.race([this.log.appended.wait(1000), this.wakeSignal.wait(1000)]);
        continue;
      }
      await this.slots.acquire();
      try {
        if (!this.active) break;
        await this.handler(this.batch(records));
      } catch (error) {
        this.member.reportError(this.log.topic, this.log.partition, error);
        await sleep(RESTART_DELAY_MS, this.abort.signal);
      } finally {
        this.slots.release();
      }
      // Like a Kafka consumer after a failure or a partial batch: continue from the last commit.
      const previous = position;
      position = this.startPosition();
      // Nothing committed: the same records come again, after a pause rather than in a hot loop.
      if (position === previous) await sleep(REDELIVERY_DELAY_MS, this.abort.signal);
    }
  }

  private batch(records: RecordBatch['records']): RecordBatch {
    const { topic, partition } = this.log;
    return {
      topic,
      partition,
      records,
      heartbeat: async () => undefined,
      isActive: () => this.active,
      commit: async (nextOffset: string) => {
        this.group.commit(this.member, topic, partition, Number(nextOffset));
      },
    };
  }
}
