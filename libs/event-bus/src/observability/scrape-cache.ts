import { withTimeout } from '../util/with-timeout';
import { scrapeReadingTimedOut } from '../event-bus.messages';

/**
 * A value read at scrape time from something that can be slow (the database, the broker): one
 * read at a time, so a slow source gets no pile of queries; its answer shared by the scrapes of
 * the next `ttlMs`; and never waited on longer than `timeoutMs`.
 */
export class ScrapeCache<T> {
  private current?: { settledAt: number; value: Promise<T> };

  constructor(
    private readonly read: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly timeoutMs: number,
  ) {}

  get(): Promise<T> {
    if (!this.current || Date.now() - this.current.settledAt > this.ttlMs) {
      const value = this.read();
      const current = { settledAt: Number.POSITIVE_INFINITY, value };
      this.current = current;
      const settle = () => (current.settledAt = Date.now());
      value.then(settle, settle);
    }
    return withTimeout(this.current.value, this.timeoutMs, scrapeReadingTimedOut());
  }
}
