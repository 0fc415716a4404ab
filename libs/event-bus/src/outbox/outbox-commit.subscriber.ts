import { Injectable } from '@nestjs/common';
import type { EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';

/**
 * Wakes the relay right after a transaction that wrote outbox rows commits, never before:
 * waking earlier would find nothing (or, worse, uncommitted rows on a shared SQLite connection).
 */
@Injectable()
export class OutboxCommitSubscriber implements EntitySubscriberInterface {
  private readonly dirty = new WeakSet<QueryRunner>();
  private listener: () => void = () => undefined;

  onCommit(listener: () => void): void {
    this.listener = listener;
  }

  markDirty(queryRunner: QueryRunner): void {
    this.dirty.add(queryRunner);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!this.dirty.has(event.queryRunner)) return;
    // A nested transaction (savepoint) commit is not the real commit; wait for the outer one.
    if (event.queryRunner.isTransactionActive) return;
    this.dirty.delete(event.queryRunner);
    this.listener();
  }

  afterTransactionRollback(event: { queryRunner: QueryRunner }): void {
    if (!event.queryRunner.isTransactionActive) this.dirty.delete(event.queryRunner);
  }
}
