import { Injectable } from '@nestjs/common';
import type { EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';
import type { OutgoingEvent } from '../../interfaces/event-bus-interceptor.interface';

/**
 * The TypeORM adapter's `UnitOfWork.trackCommit`: a DataSource subscriber that hands the events
 * of a transaction to the listeners right after it commits, never before.
 *
 * Events are kept per transaction level of their query runner, so a savepoint that rolls back
 * takes its events with it and only the outermost commit reports the rest. Levels are tracked
 * only once a runner has published: other transactions cost one lookup.
 */
@Injectable()
export class TypeOrmCommitTracker implements EntitySubscriberInterface {
  /** Per query runner, the events of each open level that published, innermost last. */
  private readonly levels = new WeakMap<QueryRunner, OutgoingEvent[][]>();
  private readonly listeners: Array<(events: readonly OutgoingEvent[]) => void> = [];

  onCommit(listener: (events: readonly OutgoingEvent[]) => void): void {
    this.listeners.push(listener);
  }

  /** Remembers events written through `queryRunner` until its transaction ends. */
  markDirty(queryRunner: QueryRunner, events: readonly OutgoingEvent[]): void {
    const levels = this.levels.get(queryRunner);
    if (levels) levels[levels.length - 1].push(...events);
    else this.levels.set(queryRunner, [[...events]]);
  }

  afterTransactionStart(event: { queryRunner: QueryRunner }): void {
    this.levels.get(event.queryRunner)?.push([]);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const levels = this.levels.get(event.queryRunner);
    if (!levels) return;
    // A savepoint released: its events belong to the level around it until that one commits.
    if (event.queryRunner.isTransactionActive) {
      if (levels.length > 1) levels[levels.length - 2].push(...levels.pop()!);
      return;
    }
    this.levels.delete(event.queryRunner);
    const events = levels.flat();
    for (const listener of this.listeners) listener(events);
  }

  afterTransactionRollback(event: { queryRunner: QueryRunner }): void {
    const levels = this.levels.get(event.queryRunner);
    if (!levels) return;
    levels.pop();
    if (!event.queryRunner.isTransactionActive || levels.length === 0) {
      this.levels.delete(event.queryRunner);
    }
  }
}
