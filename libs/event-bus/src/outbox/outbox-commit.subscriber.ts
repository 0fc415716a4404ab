import { Injectable } from '@nestjs/common';
import type { EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';
import type { OutgoingEvent } from '../interfaces/event-bus-interceptor.interface';

/**
 * Tells the bus right after a transaction that wrote outbox rows commits, never before: the
 * relay is woken (earlier would find nothing or, on a shared SQLite connection, uncommitted
 * rows) and interceptors learn which events now exist.
 */
@Injectable()
export class OutboxCommitSubscriber implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, OutgoingEvent[]>();
  private listener: (events: readonly OutgoingEvent[]) => void = () => undefined;

  onCommit(listener: (events: readonly OutgoingEvent[]) => void): void {
    this.listener = listener;
  }

  /** Remembers events written through `queryRunner` until its transaction ends. */
  markDirty(queryRunner: QueryRunner, events: readonly OutgoingEvent[]): void {
    const list = this.pending.get(queryRunner);
    if (list) list.push(...events);
    else this.pending.set(queryRunner, [...events]);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const events = this.pending.get(event.queryRunner);
    if (!events) return;
    // A nested transaction (savepoint) commit is not the real commit; wait for the outer one.
    if (event.queryRunner.isTransactionActive) return;
    this.pending.delete(event.queryRunner);
    this.listener(events);
  }

  afterTransactionRollback(event: { queryRunner: QueryRunner }): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }
}
