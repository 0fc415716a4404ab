export const SECOND = 1000;
export const DAY = 24 * 60 * 60 * SECOND;

/** Every default of the bus, in one place. */
export const EVENT_BUS_DEFAULTS = {
  outbox: {
    enabled: true,
    batchSize: 100,
    batchesInFlight: 2,
    pollIntervalMs: SECOND,
    // outbox.notify: on by default only where this instance's relay is off (`!enabled`); see
    // `resolveOutbox`.
    listen: true,
    maxAttempts: 10,
    backoff: { initialMs: 500, maxMs: 60 * SECOND, multiplier: 2, jitter: 0.5 },
    retentionMs: 7 * DAY,
    retryFailedEveryMs: 0,
    redeliverOnStartupMs: 10 * 60 * SECOND,
  },
  consumer: {
    enabled: true,
    fromBeginning: true,
    maxBatchSize: 100,
    concurrency: 16,
    recordsPerTransaction: 100,
    partitionsConcurrently: 4,
    retry: { maxRetries: 3, initialMs: 100, maxMs: 10 * SECOND, multiplier: 2, jitter: 0.5 },
    unavailableBackoff: { initialMs: 200, maxMs: 5 * SECOND, multiplier: 2, jitter: 0.5 },
  },
  topics: { partitions: 3, replicationFactor: 1 },
  inbox: { retentionMs: 14 * DAY },
  codec: { maxMessageBytes: 1024 * 1024, mode: 'binary' },
  health: { maxPendingEvents: 10_000, maxPendingAgeMs: 5 * 60 * SECOND, maxStalledMs: 60 * SECOND },
  // tracing.enabled and metrics.enabled: on by default only where their optional peer
  // (@opentelemetry/api, prom-client) is installed; see `OptionChecker.peerFeature`.
  tracing: {
    enabled: true,
    recordKeys: false,
    log: { enabled: false, sampleRate: 1, retentionMs: 7 * DAY },
  },
  metrics: { enabled: true },
  maintenance: { cleanupEveryMs: 10 * 60 * SECOND },
  shutdownTimeoutMs: 15 * SECOND,
} as const;
