import { Injectable } from '@nestjs/common';
import type { EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';
import type { OutgoingEvent } from '../interfaces/event-bus-interceptor.interface';
import { InterceptorChain } from '../interceptors/interceptor-chain';

/**
 * Tells the bus right after a transaction that wrote outbox rows commits, never before: the
 * interceptors' `onCommitted` learns which events now exist, then the listeners run (the relay
 * wakes on one; earlier it would find nothing or, on a shared SQLite connection, uncommitted
 * rows).
 *
 * Events are kept per transaction level of their query runner, so a savepoint that rolls back
 * takes its events with it and only the outermost commit reports the rest. Levels are tracked
 * only once a runner has published: other transactions cost one lookup.
 */
@Injectable()
export class OutboxCommitSubscriber implements EntitySubscriberInterface {
  /** Per query runner, the events of each open level that published, innermost last. */
  private readonly levels = new WeakMap<QueryRunner, OutgoingEvent[][]>();
  private readonly listeners: Array<(events: readonly OutgoingEvent[]) => void> = [];

  constructor(private readonly interceptors: InterceptorChain) {}

  /** Calls `listener` after each commit of a transaction that published. */
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
    this.interceptors.committed(events);
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
