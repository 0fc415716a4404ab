/** Headers an outbox row written by a dead-letter replay carries: who replayed what, when. */
export const REPLAY_HEADERS = {
  /** Who replayed the event (an operator's name). */
  by: 'x-replayed-by',
  /** When, as an ISO 8601 timestamp. */
  at: 'x-replayed-at',
  /** Which dead letter: `<dlq topic>/<partition>/<offset>`. */
  from: 'x-replayed-from',
  /**
   * The event's original `ce_time`. The relay stamps `ce_time` from the row's `created_at`, which
   * is the replay's time: outbox age, send latency and end-to-end latency then measure the
   * replay, not the days the event spent in the dead-letter topic.
   */
  originalTime: 'x-original-time',
} as const;

/** Outbox rows written per transaction by a replay. */
export const REPLAY_CHUNK_SIZE = 500;
