import type { OutgoingEvent } from '../interfaces/event-bus-interceptor.interface';

/**
 * A storage adapter's open transaction, opaque to the core: the core hands it back to the same
 * adapter's stores and to handlers (`EventContext.manager`), and never looks inside. With the
 * TypeORM adapter it is an `EntityManager`.
 */
export type StorageTransaction = object;

/**
 * The storage port's transactions. The core opens every transaction of its own here and learns
 * here when one that wrote outbox rows commits; what a transaction is belongs to the adapter.
 */
export abstract class UnitOfWork {
  /**
   * True when rows a transaction claims stay locked until it ends and other instances skip them
   * (PostgreSQL's `FOR UPDATE SKIP LOCKED`): the relay then sends inside the claim's transaction.
   * False for a single writer (SQLite), where the relay claims, sends, then records in turns.
   */
  abstract readonly locksClaimedRows: boolean;

  /**
   * Runs `work` in a new transaction that is also the ambient one, so the application's own
   * transactional code called from `work` (a handler) joins it. Commits when `work` resolves,
   * rolls back when it throws.
   */
  abstract run<T>(work: (tx: StorageTransaction) => Promise<T>): Promise<T>;

  /** Runs `work` in a new transaction of the bus's own that application code never joins. */
  abstract transaction<T>(work: (tx: StorageTransaction) => Promise<T>): Promise<T>;

  /** The application's ambient transaction, when the caller runs inside one. */
  abstract ambient(): StorageTransaction | undefined;

  /** True when `tx` is a transaction this adapter can write through and it is still open. */
  abstract isOpen(tx: StorageTransaction): boolean;

  /**
   * A handle outside any transaction, for contexts that have none (local events): each write
   * through it commits on its own.
   */
  abstract autoCommit(): StorageTransaction;

  /**
   * Remembers that `events` were written to the outbox through `tx`. Once the outermost
   * transaction around `tx` commits, and never before, the adapter passes all the events it
   * tracked in that transaction to the `onCommit` listeners, in one call; when the transaction
   * (or the savepoint they were written in) rolls back, it forgets them.
   */
  abstract trackCommit(tx: StorageTransaction, events: readonly OutgoingEvent[]): void;

  /** Calls `listener` after each commit of a transaction that tracked events (`OutboxCommits`). */
  abstract onCommit(listener: (events: readonly OutgoingEvent[]) => void): void;

  /**
   * Called once at bootstrap: throws an `EventBusConfigurationError` naming what is missing when
   * the storage cannot serve the bus (tables or entities not registered, say).
   */
  abstract verify(): void;
}
