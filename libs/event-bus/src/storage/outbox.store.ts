import type { StorageTransaction } from './unit-of-work';

/** The life of an outbox row: `pending` until sent, then `published`, or `failed` after `outbox.maxAttempts`. */
export type OutboxStatus = 'pending' | 'published' | 'failed';

/**
 * One event waiting for (or done with) its trip to the broker. Written in the publisher's
 * transaction, so it exists exactly when the business change does.
 */
export interface OutboxRow {
  /** UUIDv7: time-ordered, so id order is publish order. Also the CloudEvents id. */
  id: string;
  type: string;
  version: number;
  key: string | null;
  topic: string;
  destination: string | null;
  /** The JSON payload as sent. */
  payload: string;
  /** JSON object of extra record headers (trace context, correlation id, user headers). */
  headers: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  publishedAt: Date | null;
}

/** Pending and failed outbox rows, and the age of the oldest pending one. */
export interface OutboxCounts {
  pending: number;
  failed: number;
  oldestPendingAt: Date | null;
}

/** Rows of the outbox per status, and how long the oldest pending row has waited. */
export interface OutboxStatusReport extends OutboxCounts {
  published: number;
}

/** One page of failed outbox rows, oldest first, and how many there are. */
export interface FailedRowsPage {
  /** Failed rows in all. */
  total: number;
  /** The oldest `limit` of them, in id (publish) order. */
  rows: OutboxRow[];
}

/**
 * The storage port of the outbox (`event_outbox`): every question the publisher, the relay and
 * the operator tools ask of it. Methods that take a transaction run in it; the others open
 * their own. Inject it as `OutboxStore`; the TypeORM adapter's is `TypeOrmOutboxStore`.
 */
export abstract class OutboxStore {
  /** Writes rows in the caller's transaction. */
  abstract insert(tx: StorageTransaction, rows: OutboxRow[]): Promise<void>;

  /**
   * Up to `limit` pending rows due at `now`, in id order, none behind an older pending row of
   * its key that another instance holds or that waits for its retry (sending it would reorder the
   * key). With `UnitOfWork.locksClaimedRows`, the rows stay locked until `tx` ends.
   */
  abstract claimDue(tx: StorageTransaction, limit: number, now: Date): Promise<OutboxRow[]>;

  abstract markPublished(tx: StorageTransaction, ids: string[], now: Date): Promise<void>;

  /**
   * Counts a failed send and backs off. Only errors a retry cannot fix (`isNonRetriable`) use
   * up `outbox.maxAttempts` and end in `failed`; an unreachable broker is not the row's fault,
   * so such rows stay pending, retried at the capped backoff.
   */
  abstract markAttemptFailed(
    tx: StorageTransaction,
    rows: OutboxRow[],
    error: unknown,
    now: Date,
  ): Promise<void>;

  /** Deletes the rows with these ids (a replay replacing them). */
  abstract deleteIds(tx: StorageTransaction, ids: string[]): Promise<void>;

  /** Puts `failed` rows (all, or the given ids) back in line with a fresh attempt budget. */
  abstract retryFailed(ids?: string[]): Promise<number>;

  /** Sends again what was published since `since` (for transports that forget on restart). */
  abstract requeuePublishedSince(since: Date): Promise<number>;

  abstract deletePublishedBefore(cutoff: Date): Promise<number>;

  /** Pending and failed rows (health and metrics, often). */
  abstract counts(): Promise<OutboxCounts>;

  /** Rows per status (the operator's view). */
  abstract statusReport(): Promise<OutboxStatusReport>;

  /** The oldest `limit` failed rows and how many there are. */
  abstract failed(limit: number): Promise<FailedRowsPage>;

  /** The status of each id the outbox holds, read through `tx` when given; absent ids are not held. */
  abstract statuses(ids: string[], tx?: StorageTransaction): Promise<Map<string, OutboxStatus>>;
}
