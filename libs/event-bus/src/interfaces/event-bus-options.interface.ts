import type { TransportOptions } from '../transports/transport-options';
import type { EventBusInterceptor } from './event-bus-interceptor.interface';
import type { BackoffOptions } from '../util/backoff';
import type { TransientFailureClassifier } from '../errors/transient-failure';
import type { PayloadCodec } from './payload-codec.interface';

/** Retries of a failing handler in place, before its record is dead-lettered. */
export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt before the record goes to the dead-letter topic. */
  maxRetries: number;
}

/** The transactional outbox and its relay: polling, batching, attempts and retention. */
export interface OutboxOptions {
  /** Run the relay in this instance (false for instances that only publish). */
  enabled: boolean;
  /** Rows claimed and sent together. */
  batchSize: number;
  /**
   * PostgreSQL: while a backlog lasts (a claim came back full), the relay claims the next batch
   * while the previous one is still sending or being marked, up to this many batches at once
   * (1 to 16; 2 by default). Order per key holds: a claim leaves out a row whose key has an older
   * row in a batch still in flight. Below a backlog one batch is in flight. SQLite: always 1.
   */
  batchesInFlight: number;
  /** Fallback poll when no wake-up arrives (other instances, backoff expiry). */
  pollIntervalMs: number;
  /**
   * PostgreSQL: announce each commit that wrote outbox rows (`pg_notify` on the
   * `event_bus_outbox` channel, in the outbox insert itself), so that relays of other instances
   * wake at once instead of at their poll. By default on exactly when this instance's relay is
   * off (`enabled: false`): its rows are relayed elsewhere. Off otherwise, because the own relay
   * is woken in process and PostgreSQL serialises the commits of transactions that notified
   * (a lock held through each commit). Ignored on SQLite.
   */
  notify: boolean;
  /**
   * PostgreSQL: while the relay runs, `LISTEN` on the `event_bus_outbox` channel on a connection
   * of its own (outside the pool) and wake at each announced commit; it reconnects with backoff
   * when the connection drops, and the poll delivers meanwhile. On by default; ignored on SQLite.
   */
  listen: boolean;
  /** Send attempts before a row is marked `failed`. */
  maxAttempts: number;
  backoff: BackoffOptions;
  /** Published rows are deleted after this long. */
  retentionMs: number;
  /**
   * Puts `failed` rows back in line this often (0: never, the default; otherwise 1 s to 24 days;
   * the CLI's `outbox retry` does it on demand). For refusals that an operator may fix meanwhile,
   * such as a topic's permissions. Runs as the `event-bus:outbox-retry-failed` interval of
   * @nestjs/schedule's SchedulerRegistry.
   */
  retryFailedEveryMs: number;
  /**
   * With a transport that keeps nothing across restarts (in-memory), rows published within
   * this window are sent again at startup; the consumers' inbox absorbs the duplicates.
   */
  redeliverOnStartupMs: number;
}

/** How handlers consume: groups, concurrency, backpressure, retries and what counts as an outage. */
export interface ConsumerOptions {
  /** Consume in this instance (false for instances that only publish). */
  enabled: boolean;
  /** Consumer group of handlers that name none; the service id by default. */
  groupId: string;
  /** Where a new group starts: the oldest retained record (true) or new records only. */
  fromBeginning: boolean;
  /** Records fetched from one partition at a time (bounds memory). */
  maxBatchSize: number;
  /** Records of one partition processed at once, never two of the same key. */
  concurrency: number;
  /**
   * Routine records processed per database transaction (per handler), in offset order; 1 runs
   * every record in its own transaction. Any failure falls back to one record at a time.
   */
  recordsPerTransaction: number;
  /** Partitions processed at once. */
  partitionsConcurrently: number;
  retry: RetryOptions;
  /** Waits between tries while the database or broker is unavailable (never spends `retry`). */
  unavailableBackoff: BackoffOptions;
  /**
   * Your own say on which failures mean "a dependency is unavailable": `true` waits for it
   * without spending retries or dead-lettering, `false` treats the error as the handler's,
   * `undefined` leaves it to the default (connection refused/reset/timed out, pool timeout,
   * PostgreSQL 08xxx, 53xxx, 57P01–57P03, 40001, 40P01, kafkajs connection errors).
   */
  isTransient?: TransientFailureClassifier;
}

/** How event types map to topics and how the bus creates them. */
export interface TopicOptions {
  partitions: number;
  replicationFactor: number;
  /** Topic of an event type; the type itself by default. Dead letters go to `<topic>.dlq`. */
  naming: (eventType: string) => string;
}

/** The inbox that makes each handler's database effects happen once per event id. */
export interface InboxOptions {
  /** Inbox rows are kept this long; longer than any redelivery can take. */
  retentionMs: number;
}

/** What `EventBusHealthIndicator` reports as down. */
export interface HealthOptions {
  /** More pending outbox events than this and the bus reports itself down. */
  maxPendingEvents: number;
  /** An older pending outbox event than this and the bus reports itself down. */
  maxPendingAgeMs: number;
  /**
   * A partition whose records have not moved (no offset committed) for longer than this and the
   * bus reports itself down: a dependency outage, or a handler stuck in retries.
   */
  maxStalledMs: number;
}

/** The sampled `event_trace` table: each hop of an event, queryable by event id. */
export interface TraceLogOptions {
  /** Write the hops of sampled events to the `event_trace` table (add EVENT_BUS_ENTITIES). */
  enabled: boolean;
  /**
   * Share of events logged, 0 to 1. Decided from the event id, so every service logs the same
   * events and their traces are complete.
   */
  sampleRate: number;
  /** Trace rows are deleted after this long. */
  retentionMs: number;
}

/** OpenTelemetry spans for send and process, joined to the publisher's trace. */
export interface TracingOptions {
  /**
   * OpenTelemetry `send`/`process` spans (no-ops until an SDK is registered). By default on when
   * `@opentelemetry/api` is installed and off when not; `true` without it fails startup.
   */
  enabled: boolean;
  /** Adds `messaging.kafka.message.key` to spans; off because keys can be personal data. */
  recordKeys: boolean;
  log: TraceLogOptions;
}

/**
 * A prom-client `Registry`, described by what the bus uses of it, so that the bus's types compile
 * without prom-client installed.
 */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
}

/** Prometheus metrics through prom-client's default registry (or one you pass). */
export interface MetricsOptions {
  /**
   * Prometheus metrics of the bus. By default on when `prom-client` is installed and off when
   * not; `true` without it fails startup.
   */
  enabled: boolean;
  /**
   * Where the metrics are registered; prom-client's default registry (served at /metrics).
   * Unset while metrics are off and no registry was given.
   */
  registry?: MetricsRegistry;
}

/** The bus's scheduled jobs (through @nestjs/schedule's SchedulerRegistry): how often they run. */
export interface MaintenanceOptions {
  /**
   * How often rows past retention are deleted (`outbox.retentionMs`, `inbox.retentionMs`,
   * `tracing.log.retentionMs`), from 1 s to 1 day; 10 minutes by default. Runs as the
   * `event-bus:retention-cleanup` interval of @nestjs/schedule's SchedulerRegistry.
   */
  cleanupEveryMs: number;
}

/** How events travel: the size limit for untrusted payloads, the CloudEvents mode, the payload codec. */
export interface CodecOptions {
  /** Largest payload accepted, in bytes, on publish and on receipt. */
  maxMessageBytes: number;
  /**
   * The CloudEvents content mode the bus sends in: `'binary'` (attributes as `ce_*` headers, the
   * data as the value; the default) or `'structured'` (the whole event as
   * `application/cloudevents+json`). Both are read on receipt, whatever this says.
   */
  mode: CloudEventsMode;
  /** Encodes and decodes the data; `JsonPayloadCodec` by default. */
  payload: PayloadCodec;
}

/** The CloudEvents Kafka binding's content modes. */
export type CloudEventsMode = 'binary' | 'structured';

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (...args: never[]) => unknown
    ? T[K]
    : T[K] extends object
      ? DeepPartial<T[K]>
      : T[K];
};

/** Options of `EventBusModule.forRoot()`. Only `serviceId` is required. */
export interface EventBusModuleOptions {
  /** Identifies this service: the CloudEvents `source` and the default consumer group. */
  serviceId: string;
  /** The broker; the in-memory transport by default. */
  transport?: TransportOptions;
  /** Name of the TypeORM DataSource holding the outbox and inbox tables. */
  dataSource?: string;
  outbox?: DeepPartial<OutboxOptions>;
  consumer?: DeepPartial<ConsumerOptions>;
  topics?: DeepPartial<TopicOptions>;
  inbox?: DeepPartial<InboxOptions>;
  codec?: DeepPartial<Omit<CodecOptions, 'payload'>> & { payload?: PayloadCodec };
  health?: DeepPartial<HealthOptions>;
  tracing?: DeepPartial<Omit<TracingOptions, 'log'>> & { log?: DeepPartial<TraceLogOptions> };
  metrics?: { enabled?: boolean; registry?: MetricsRegistry };
  /** Interceptor instances, run after those found through `@EventInterceptor()`. */
  interceptors?: EventBusInterceptor[];
  /** Periodic clean-up of the bus's tables. */
  maintenance?: DeepPartial<MaintenanceOptions>;
  /** Longest wait for in-flight handlers and sends at shutdown. */
  shutdownTimeoutMs?: number;
}

/** Options after defaults were applied and every value was checked. */
export interface ResolvedEventBusOptions {
  serviceId: string;
  transport: TransportOptions;
  dataSource: string | undefined;
  outbox: OutboxOptions;
  consumer: ConsumerOptions;
  topics: TopicOptions;
  inbox: InboxOptions;
  codec: CodecOptions;
  health: HealthOptions;
  tracing: TracingOptions;
  metrics: MetricsOptions;
  maintenance: MaintenanceOptions;
  interceptors: EventBusInterceptor[];
  shutdownTimeoutMs: number;
}
