import {
  BatchHandler,
  EventTransport,
  OutgoingRecord,
  PartitionLag,
  SubscribeOptions,
  TopicSpec,
  TransportSubscription,
} from '../event-transport.interface';
import { TransportError } from '../../errors/transport.error';
import { transportClosed } from '../../event-bus.messages';
import { InMemoryBroker } from './in-memory-broker';
import { InMemoryMember } from './in-memory-member';

/**
 * The transport of the embedded default and of unit tests: a process-local broker. Several
 * Nest applications in one process talk through it when they share one `InMemoryBroker`.
 */
export class InMemoryTransport implements EventTransport {
  readonly name = 'in-memory';
  readonly durable = false;
  private readonly members = new Set<InMemoryMember>();
  private readonly sends = new AbortController();
  private closed = false;

  constructor(readonly broker: InMemoryBroker = InMemoryBroker.default()) {}

  async connect(): Promise<void> {
    this.closed = false;
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    for (const topic of topics) this.broker.createTopic(topic);
  }

  async send(records: OutgoingRecord[], options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.closed) throw new TransportError(transportClosed());
    const signal = options.signal
      ? AbortSignal.any([this.sends.signal, options.signal])
      : this.sends.signal;
    await this.broker.append(records, signal);
  }

  async subscribe(
    options: SubscribeOptions,
    handler: BatchHandler,
  ): Promise<TransportSubscription> {
    if (this.closed) throw new TransportError(transportClosed());
    const member = new InMemoryMember(this.broker, options, handler);
    this.members.add(member);
    await member.start();
    return {
      status: () => member.status(),
      pause: (topic, partition) => member.pause(topic, partition),
      resume: (topic, partition) => member.resume(topic, partition),
      close: async () => {
        this.members.delete(member);
        await member.close();
      },
    };
  }

  async checkHealth(): Promise<void> {
    if (this.closed) throw new TransportError(transportClosed());
  }

  async consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const group = this.broker.findGroup(groupId);
    return topics
      .filter((topic) => this.broker.hasTopic(topic))
      .flatMap((topic) =>
        this.broker.partitions(topic).map((log) => ({
          topic,
          partition: log.partition,
          lag:
            log.nextOffset -
            Math.max(group?.committedOffset(topic, log.partition) ?? 0, log.logStartOffset),
        })),
      );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sends.abort();
    await Promise.all([...this.members].map((member) => member.close()));
    this.members.clear();
  }
}
