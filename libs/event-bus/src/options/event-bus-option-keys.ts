import type {
  CodecOptions,
  ConsumerOptions,
  EventBusModuleOptions,
  HealthOptions,
  InboxOptions,
  MaintenanceOptions,
  MetricsOptions,
  OutboxOptions,
  RetryOptions,
  TopicOptions,
  TraceLogOptions,
  TracingOptions,
} from '../interfaces/event-bus-options.interface';
import type { BackoffOptions } from '../util/backoff';
import { LEAF, section } from '../util/option-keys';
import { TRANSPORT_OPTION_KEYS } from '../transports/transport-options';

const BACKOFF_KEYS = { initialMs: LEAF, maxMs: LEAF, multiplier: LEAF, jitter: LEAF } as const;

/**
 * Every key `forRoot` takes, so a misspelt one fails startup instead of being ignored. A new
 * options section is registered here (the types make a missing key a compile error); keys that
 * hold the user's own objects (a transport instance, a Registry, functions) are `LEAF`s,
 * never walked into. Each transport lists its own keys beside its options.
 */
export const EVENT_BUS_OPTION_KEYS = section<EventBusModuleOptions>({
  serviceId: LEAF,
  transport: TRANSPORT_OPTION_KEYS,
  dataSource: LEAF,
  outbox: section<OutboxOptions>({
    enabled: LEAF,
    batchSize: LEAF,
    batchesInFlight: LEAF,
    pollIntervalMs: LEAF,
    notify: LEAF,
    listen: LEAF,
    maxAttempts: LEAF,
    backoff: section<BackoffOptions>(BACKOFF_KEYS),
    retentionMs: LEAF,
    retryFailedEveryMs: LEAF,
    redeliverOnStartupMs: LEAF,
  }),
  consumer: section<ConsumerOptions>({
    enabled: LEAF,
    groupId: LEAF,
    fromBeginning: LEAF,
    maxBatchSize: LEAF,
    concurrency: LEAF,
    recordsPerTransaction: LEAF,
    partitionsConcurrently: LEAF,
    retry: section<RetryOptions>({ maxRetries: LEAF, ...BACKOFF_KEYS }),
    unavailableBackoff: section<BackoffOptions>(BACKOFF_KEYS),
    isTransient: LEAF,
  }),
  topics: section<TopicOptions>({ partitions: LEAF, replicationFactor: LEAF, naming: LEAF }),
  inbox: section<InboxOptions>({ retentionMs: LEAF }),
  codec: section<CodecOptions>({ maxMessageBytes: LEAF, mode: LEAF, payload: LEAF }),
  health: section<HealthOptions>({
    maxPendingEvents: LEAF,
    maxPendingAgeMs: LEAF,
    maxStalledMs: LEAF,
  }),
  tracing: section<TracingOptions>({
    enabled: LEAF,
    recordKeys: LEAF,
    log: section<TraceLogOptions>({ enabled: LEAF, sampleRate: LEAF, retentionMs: LEAF }),
  }),
  metrics: section<MetricsOptions>({ enabled: LEAF, registry: LEAF }),
  maintenance: section<MaintenanceOptions>({ cleanupEveryMs: LEAF }),
  interceptors: LEAF,
  shutdownTimeoutMs: LEAF,
});
