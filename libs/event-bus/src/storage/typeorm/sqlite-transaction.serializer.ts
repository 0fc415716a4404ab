import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { Semaphore } from '../../util/semaphore';

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
  // A token per transaction, closed when it ends: async work started inside a transaction keeps
  // the store after it ended, and must then take its turn like everyone else.
  const inside = new AsyncLocalStorage<{ open: boolean }>();

  const transaction = (...args: unknown[]): Promise<unknown> => {
    if (inside.getStore()?.open) return original(...args);
    return turn.run(() => {
      const token = { open: true };
      return inside
        .run(token, () => original(...args))
        .finally(() => {
          token.open = false;
        });
    });
  };
  (manager as { transaction: EntityManager['transaction'] }).transaction =
    transaction as EntityManager['transaction'];
}
