/**
 * The storage port that tells a relay of outbox commits made by other instances, so that it need
 * not wait for its poll (`outbox.pollIntervalMs`). Commits of its own process already wake it
 * (`UnitOfWork.onCommit`); this is for the rows another instance publishes with its own relay
 * disabled. The TypeORM adapter's listens with PostgreSQL `LISTEN` on a connection of its own
 * (`OutboxStore.insert` announces with `pg_notify` when `outbox.notify` is on) and does nothing on
 * SQLite, where one process owns the database file.
 *
 * Optional: an adapter that does not provide it still delivers, at the relay's poll.
 */
export abstract class OutboxNotifications {
  /**
   * Starts listening: calls `onNotify` for each commit another instance announces, and once
   * after each reconnection (commits announced meanwhile were missed). Resolves once the first
   * attempt to listen has ended; never rejects: when the database cannot be reached it retries
   * in the background, and the poll delivers meanwhile. Calls may be coalesced; `onNotify` must
   * be cheap (the relay's is a wake-up signal).
   */
  abstract listen(onNotify: () => void): Promise<void>;

  /** Stops listening and closes what `listen` opened; bounded in time, never rejects. */
  abstract close(): Promise<void>;
}
