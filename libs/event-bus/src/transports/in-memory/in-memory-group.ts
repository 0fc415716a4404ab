import { TransportError } from '../../errors/transport.error';
import type { InMemoryBroker } from './in-memory-broker';
import type { InMemoryMember } from './in-memory-member';
import { commitRefusedNotAssigned } from '../../event-bus.messages';

export const partitionId = (topic: string, partition: number): string =>
  `${topic}\u0000${partition}`;

/**
 * A consumer group: committed offsets and the assignment of partitions to members. A rebalance
 * (join or leave) first revokes partitions and waits for their batches in progress, then assigns
 * them, so a partition is never processed by two members at once.
 */
export class InMemoryGroup {
  private readonly members: InMemoryMember[] = [];
  private readonly committed = new Map<string, number>();
  private readonly topicsRead = new Set<string>();
  private readonly owners = new Map<string, InMemoryMember>();
  private rebalancing: Promise<void> = Promise.resolve();

  constructor(
    readonly groupId: string,
    private readonly broker: InMemoryBroker,
  ) {}

  readsTopic(topic: string): boolean {
    return this.topicsRead.has(topic);
  }

  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(partitionId(topic, partition));
  }

  commit(member: InMemoryMember, topic: string, partition: number, offset: number): void {
    const id = partitionId(topic, partition);
    if (this.owners.get(id) !== member) {
      // Kafka answers a commit for a partition the member no longer owns with an error too.
      throw new TransportError(commitRefusedNotAssigned(topic, partition, this.groupId));
    }
    const previous = this.committed.get(id) ?? -1;
    if (offset > previous) {
      this.committed.set(id, offset);
      this.broker.onCommit(topic, partition, offset);
    }
  }

  join(member: InMemoryMember): Promise<void> {
    // Fail before joining: a member with an unknown topic would break every later rebalance.
    for (const topic of member.topics) this.broker.partitions(topic);
    this.members.push(member);
    for (const topic of member.topics) this.topicsRead.add(topic);
    return this.rebalance();
  }

  leave(member: InMemoryMember): Promise<void> {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
    return this.rebalance();
  }

  private rebalance(): Promise<void> {
    const run = this.rebalancing.then(() => this.doRebalance());
    this.rebalancing = run.catch(() => undefined);
    return run;
  }

  private async doRebalance(): Promise<void> {
    const target = this.computeAssignment();
    await Promise.all(
      [...this.owners.entries()]
        .filter(([id, owner]) => target.get(id) !== owner)
        .map(async ([id, owner]) => {
          await owner.revoke(id);
          if (this.owners.get(id) === owner) this.owners.delete(id);
        }),
    );
    for (const [id, member] of target) {
      if (this.owners.get(id) === member) continue;
      this.owners.set(id, member);
      member.assign(id);
    }
  }

  /** Round-robin over partitions sorted by topic and number, among members reading the topic. */
  private computeAssignment(): Map<string, InMemoryMember> {
    const assignment = new Map<string, InMemoryMember>();
    const topics = [...new Set(this.members.flatMap((m) => m.topics))].sort();
    let turn = 0;
    for (const topic of topics) {
      const readers = this.members.filter((m) => m.topics.includes(topic));
      for (const log of this.broker.partitions(topic)) {
        assignment.set(partitionId(topic, log.partition), readers[turn++ % readers.length]);
      }
    }
    return assignment;
  }
}
