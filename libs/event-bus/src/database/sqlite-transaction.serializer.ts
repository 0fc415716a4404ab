import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { Semaphore } from '../util/semaphore';

const serialized = new WeakSet<DataSource>();

/**
 * TypeORM runs every SQLite query through one connection, so two transactions started at once
 * interleave into one (and one's rollback undoes the other's work). This makes the DataSource's
 * transactions take turns; a transaction started inside another (same async flow) nests as a
 * savepoint instead of waiting for itself.
 */
export function serializeSqliteTransactions(dataSource: DataSource): void {
  if (serialized.has(dataSource)) return;
  serialized.add(dataSource);
  const manager = dataSource.manager;
  const original = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  const turn = new Semaphore(1);
  const inside = new AsyncLocalStorage<true>();

  const transaction = (...args: unknown[]): Promise<unknown> => {
    if (inside.getStore()) return original(...args);
    return turn.run(() => inside.run(true, () => original(...args)));
  };
  (manager as { transaction: EntityManager['transaction'] }).transaction =
    transaction as EntityManager['transaction'];
}
