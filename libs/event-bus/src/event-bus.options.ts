import { EventBusConfigurationError } from './errors/event-bus-configuration.error';
import { invalidOption, missingPackage, unknownOptions } from './event-bus.messages';
import { isPackageInstalled, loadPackage } from './util/load-package';
import type {
  CodecOptions,
  ConsumerOptions,
  CustomTransportOptions,
  EventBusModuleOptions,
  HealthOptions,
  InboxOptions,
  InMemoryTransportOptions,
  MaintenanceOptions,
  MetricsOptions,
  MetricsRegistry,
  OutboxOptions,
  ResolvedEventBusOptions,
  RetryOptions,
  TopicOptions,
  TraceLogOptions,
  TracingOptions,
  TransportOptions,
} from './interfaces/event-bus-options.interface';
import type { BackoffOptions } from './util/backoff';
import type { KafkaTransportOptions } from './transports/kafka/kafka-transport-options.interface';
import { checkOptionKeys, LEAF, section, variants } from './util/option-keys';

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Every default of the bus, in one place. */
export const EVENT_BUS_DEFAULTS = {
  outbox: {
    enabled: true,
    batchSize: 100,
    pollIntervalMs: SECOND,
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
  codec: { maxMessageBytes: 1024 * 1024 },
  health: { maxPendingEvents: 10_000, maxPendingAgeMs: 5 * 60 * SECOND, maxStalledMs: 60 * SECOND },
  // tracing.enabled and metrics.enabled: on by default only where their optional peer
  // (@opentelemetry/api, prom-client) is installed; see OptionChecker.peerFeature.
  tracing: {
    enabled: true,
    recordKeys: false,
    log: { enabled: false, sampleRate: 1, retentionMs: 7 * DAY },
  },
  metrics: { enabled: true },
  maintenance: { cleanupEveryMs: 10 * 60 * SECOND },
  shutdownTimeoutMs: 15 * SECOND,
} as const;

const BACKOFF_KEYS = { initialMs: LEAF, maxMs: LEAF, multiplier: LEAF, jitter: LEAF } as const;

/**
 * Every key `forRoot` takes, so a misspelt one fails startup instead of being ignored. A new
 * options section is registered here (the types make a missing key a compile error); keys that
 * hold the user's own objects (a transport instance, kafkajs `ssl`/`sasl`, a Registry, functions)
 * are `LEAF`s, never walked into.
 */
const EVENT_BUS_OPTION_KEYS = section<EventBusModuleOptions>({
  serviceId: LEAF,
  transport: variants<TransportOptions, 'type'>('type', {
    'in-memory': section<InMemoryTransportOptions>({ type: LEAF, broker: LEAF }),
    kafka: section<KafkaTransportOptions>({
      type: LEAF,
      brokers: LEAF,
      clientId: LEAF,
      ssl: LEAF,
      sasl: LEAF,
      connectionTimeoutMs: LEAF,
      requestTimeoutMs: LEAF,
      compression: LEAF,
      sendTimeoutMs: LEAF,
      sessionTimeoutMs: LEAF,
      heartbeatIntervalMs: LEAF,
      maxBytesPerPartition: LEAF,
    }),
    custom: section<CustomTransportOptions>({ type: LEAF, transport: LEAF }),
  }),
  dataSource: LEAF,
  outbox: section<OutboxOptions>({
    enabled: LEAF,
    batchSize: LEAF,
    pollIntervalMs: LEAF,
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
  codec: section<CodecOptions>({ maxMessageBytes: LEAF }),
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

/**
 * A handler's own `retry` merged over `consumer.retry`, with the checks `forRoot` applies to it
 * (keys and values), without resolving the other options again for every handler.
 */
export function resolveHandlerRetry(base: RetryOptions, own: unknown): RetryOptions {
  const check = new OptionChecker();
  check.keys({ consumer: { retry: own } });
  return check.retry('consumer.retry', { ...base, ...(own as Partial<RetryOptions> | undefined) });
}

/**
 * Applies defaults and checks every option, so a bad value fails startup with an error that
 * names it instead of misbehaving later.
 */
export function resolveEventBusOptions(options: EventBusModuleOptions): ResolvedEventBusOptions {
  const check = new OptionChecker();
  if (options === null || typeof options !== 'object') {
    throw new EventBusConfigurationError(invalidOption('options', 'an object', options));
  }
  check.keys(options);
  const serviceId = check.name('serviceId', options.serviceId);
  const d = EVENT_BUS_DEFAULTS;
  const outbox = options.outbox ?? {};
  const consumer = options.consumer ?? {};
  const topics = options.topics ?? {};

  const resolved: ResolvedEventBusOptions = {
    serviceId,
    transport: check.transport(options.transport),
    dataSource: check.optionalString('dataSource', options.dataSource),
    outbox: {
      enabled: check.bool('outbox.enabled', outbox.enabled ?? d.outbox.enabled),
      batchSize: check.int('outbox.batchSize', outbox.batchSize ?? d.outbox.batchSize, 1, 10_000),
      pollIntervalMs: check.int(
        'outbox.pollIntervalMs',
        outbox.pollIntervalMs ?? d.outbox.pollIntervalMs,
        10,
        DAY,
      ),
      maxAttempts: check.int(
        'outbox.maxAttempts',
        outbox.maxAttempts ?? d.outbox.maxAttempts,
        1,
        1000,
      ),
      backoff: check.backoff('outbox.backoff', { ...d.outbox.backoff, ...outbox.backoff }),
      retentionMs: check.int(
        'outbox.retentionMs',
        outbox.retentionMs ?? d.outbox.retentionMs,
        0,
        365 * DAY,
      ),
      retryFailedEveryMs: check.intervalOrOff(
        'outbox.retryFailedEveryMs',
        outbox.retryFailedEveryMs ?? d.outbox.retryFailedEveryMs,
        SECOND,
        // setInterval runs a longer delay than 2^31 - 1 ms (24.8 days) every millisecond.
        24 * DAY,
      ),
      redeliverOnStartupMs: check.int(
        'outbox.redeliverOnStartupMs',
        outbox.redeliverOnStartupMs ?? d.outbox.redeliverOnStartupMs,
        0,
        30 * DAY,
      ),
    },
    consumer: {
      enabled: check.bool('consumer.enabled', consumer.enabled ?? d.consumer.enabled),
      groupId: check.name('consumer.groupId', consumer.groupId ?? serviceId),
      fromBeginning: check.bool(
        'consumer.fromBeginning',
        consumer.fromBeginning ?? d.consumer.fromBeginning,
      ),
      maxBatchSize: check.int(
        'consumer.maxBatchSize',
        consumer.maxBatchSize ?? d.consumer.maxBatchSize,
        1,
        10_000,
      ),
      concurrency: check.int(
        'consumer.concurrency',
        consumer.concurrency ?? d.consumer.concurrency,
        1,
        1000,
      ),
      recordsPerTransaction: check.int(
        'consumer.recordsPerTransaction',
        consumer.recordsPerTransaction ?? d.consumer.recordsPerTransaction,
        1,
        10_000,
      ),
      partitionsConcurrently: check.int(
        'consumer.partitionsConcurrently',
        consumer.partitionsConcurrently ?? d.consumer.partitionsConcurrently,
        1,
        1000,
      ),
      retry: check.retry('consumer.retry', { ...d.consumer.retry, ...consumer.retry }),
      unavailableBackoff: check.backoff('consumer.unavailableBackoff', {
        ...d.consumer.unavailableBackoff,
        ...consumer.unavailableBackoff,
      }),
      isTransient:
        consumer.isTransient === undefined
          ? undefined
          : check.fn('consumer.isTransient', consumer.isTransient),
    },
    topics: {
      partitions: check.int(
        'topics.partitions',
        topics.partitions ?? d.topics.partitions,
        1,
        10_000,
      ),
      replicationFactor: check.int(
        'topics.replicationFactor',
        topics.replicationFactor ?? d.topics.replicationFactor,
        1,
        100,
      ),
      naming: check.fn('topics.naming', topics.naming ?? ((type: string) => type)),
    },
    inbox: {
      retentionMs: check.int(
        'inbox.retentionMs',
        options.inbox?.retentionMs ?? d.inbox.retentionMs,
        60 * SECOND,
        3650 * DAY,
      ),
    },
    codec: {
      maxMessageBytes: check.int(
        'codec.maxMessageBytes',
        options.codec?.maxMessageBytes ?? d.codec.maxMessageBytes,
        1,
        100 * 1024 * 1024,
      ),
    },
    health: {
      maxPendingEvents: check.int(
        'health.maxPendingEvents',
        options.health?.maxPendingEvents ?? d.health.maxPendingEvents,
        1,
        1_000_000_000,
      ),
      maxPendingAgeMs: check.int(
        'health.maxPendingAgeMs',
        options.health?.maxPendingAgeMs ?? d.health.maxPendingAgeMs,
        1000,
        30 * DAY,
      ),
      maxStalledMs: check.int(
        'health.maxStalledMs',
        options.health?.maxStalledMs ?? d.health.maxStalledMs,
        1000,
        30 * DAY,
      ),
    },
    tracing: {
      enabled: check.peerFeature(
        'tracing.enabled',
        options.tracing?.enabled,
        d.tracing.enabled,
        '@opentelemetry/api',
      ),
      recordKeys: check.bool(
        'tracing.recordKeys',
        options.tracing?.recordKeys ?? d.tracing.recordKeys,
      ),
      log: {
        enabled: check.bool(
          'tracing.log.enabled',
          options.tracing?.log?.enabled ?? d.tracing.log.enabled,
        ),
        sampleRate: check.number(
          'tracing.log.sampleRate',
          options.tracing?.log?.sampleRate ?? d.tracing.log.sampleRate,
          0,
          1,
        ),
        retentionMs: check.int(
          'tracing.log.retentionMs',
          options.tracing?.log?.retentionMs ?? d.tracing.log.retentionMs,
          60 * SECOND,
          3650 * DAY,
        ),
      },
    },
    metrics: check.metrics(options.metrics, d.metrics.enabled),
    maintenance: {
      cleanupEveryMs: check.int(
        'maintenance.cleanupEveryMs',
        options.maintenance?.cleanupEveryMs ?? d.maintenance.cleanupEveryMs,
        SECOND,
        DAY,
      ),
    },
    interceptors: check.interceptors(options.interceptors ?? []),
    shutdownTimeoutMs: check.int(
      'shutdownTimeoutMs',
      options.shutdownTimeoutMs ?? d.shutdownTimeoutMs,
      0,
      10 * 60 * SECOND,
    ),
  };
  return resolved;
}

class OptionChecker {
  /** Unknown keys anywhere, all in one error: a typo would otherwise be silently ignored. */
  keys(options: object): void {
    const { unknown, notObjects } = checkOptionKeys(options, EVENT_BUS_OPTION_KEYS);
    if (notObjects.length > 0)
      throw this.error(notObjects[0].path, 'an object', notObjects[0].value);
    if (unknown.length > 0) throw new EventBusConfigurationError(unknownOptions(unknown));
  }

  name(path: string, value: unknown): string {
    if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
      throw this.error(
        path,
        'a name of letters, digits, ".", "_" or "-" (1 to 200 characters)',
        value,
      );
    }
    return value;
  }

  optionalString(path: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0)
      throw this.error(path, 'a non-empty string', value);
    return value;
  }

  bool(path: string, value: unknown): boolean {
    if (typeof value !== 'boolean') throw this.error(path, 'true or false', value);
    return value;
  }

  int(path: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.error(path, `an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  /** 0 (off) or an interval from `min` to `max`. */
  intervalOrOff(path: string, value: unknown, min: number, max: number): number {
    if (value === 0) return 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.error(path, `0 (off) or an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  number(path: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw this.error(path, `a number from ${min} to ${max}`, value);
    }
    return value;
  }

  fn<T>(path: string, value: T): T {
    if (typeof value !== 'function') throw this.error(path, 'a function', value);
    return value;
  }

  backoff(path: string, value: BackoffOptions): BackoffOptions {
    const initialMs = this.int(`${path}.initialMs`, value.initialMs, 0, 24 * 60 * 60 * SECOND);
    const maxMs = this.int(`${path}.maxMs`, value.maxMs, 0, 24 * 60 * 60 * SECOND);
    if (maxMs < initialMs)
      throw this.error(`${path}.maxMs`, `at least ${path}.initialMs (${initialMs})`, maxMs);
    return {
      initialMs,
      maxMs,
      multiplier: this.number(`${path}.multiplier`, value.multiplier, 1, 100),
      jitter: this.number(`${path}.jitter`, value.jitter, 0, 1),
    };
  }

  retry(path: string, value: RetryOptions): RetryOptions {
    return {
      maxRetries: this.int(`${path}.maxRetries`, value.maxRetries, 0, 1000),
      ...this.backoff(path, value),
    };
  }

  transport(value: EventBusModuleOptions['transport']): ResolvedEventBusOptions['transport'] {
    if (value === undefined) return { type: 'in-memory' };
    if (value === null || typeof value !== 'object') {
      throw this.error(
        'transport',
        "{ type: 'in-memory' }, { type: 'kafka', brokers } or { type: 'custom', transport }",
        value,
      );
    }
    if (value.type === 'in-memory') return value;
    if (value.type === 'kafka') return this.kafka(value);
    if (value.type === 'custom') {
      const transport = value.transport as unknown as Record<string, unknown> | undefined;
      for (const method of ['connect', 'ensureTopics', 'send', 'subscribe', 'close']) {
        if (typeof transport?.[method] !== 'function') {
          throw this.error(
            `transport.transport.${method}`,
            'a function (an EventTransport)',
            transport?.[method],
          );
        }
      }
      return value;
    }
    throw this.error(
      'transport.type',
      '"in-memory", "kafka" or "custom"',
      (value as { type?: unknown }).type,
    );
  }

  private kafka(value: KafkaTransportOptions): KafkaTransportOptions {
    if (!Array.isArray(value.brokers) || value.brokers.length === 0) {
      throw this.error(
        'transport.brokers',
        'a non-empty array of "host:port" strings',
        value.brokers,
      );
    }
    value.brokers.forEach((broker, i) => {
      if (typeof broker !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(broker)) {
        throw this.error(`transport.brokers[${i}]`, 'a "host:port" string', broker);
      }
    });
    if (value.clientId !== undefined) this.name('transport.clientId', value.clientId);
    const ssl: unknown = value.ssl;
    if (
      ssl !== undefined &&
      typeof ssl !== 'boolean' &&
      (ssl === null || typeof ssl !== 'object')
    ) {
      throw this.error('transport.ssl', 'true, false or Node TLS options', ssl);
    }
    if (value.sasl !== undefined) {
      const mechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'];
      const sasl = value.sasl as {
        mechanism?: unknown;
        username?: unknown;
        password?: unknown;
      } | null;
      if (
        sasl === null ||
        typeof sasl !== 'object' ||
        !mechanisms.includes(String(sasl.mechanism))
      ) {
        throw this.error(
          'transport.sasl.mechanism',
          mechanisms.map((m) => `"${m}"`).join(', '),
          sasl?.mechanism,
        );
      }
      if (typeof sasl.username !== 'string' || typeof sasl.password !== 'string') {
        // Never echo credentials back in an error.
        throw this.error('transport.sasl', 'string username and password', 'another type');
      }
    }
    if (value.compression !== undefined && !['none', 'gzip'].includes(value.compression)) {
      throw this.error('transport.compression', '"none" or "gzip"', value.compression);
    }
    const limits: Array<[keyof KafkaTransportOptions, number, number]> = [
      ['connectionTimeoutMs', 100, 600_000],
      ['requestTimeoutMs', 100, 600_000],
      ['sendTimeoutMs', 100, 600_000],
      ['sessionTimeoutMs', 1000, 3_600_000],
      ['heartbeatIntervalMs', 100, 600_000],
      ['maxBytesPerPartition', 1024, 100 * 1024 * 1024],
    ];
    for (const [key, min, max] of limits) {
      if (value[key] !== undefined) this.int(`transport.${key}`, value[key], min, max);
    }
    return value;
  }

  /**
   * A feature that needs an optional peer: by default on when the package is installed and off
   * when not (its provider logs a debug line); asked for explicitly without the package, a
   * startup error naming it.
   */
  peerFeature(path: string, value: unknown, byDefault: boolean, name: string): boolean {
    if (value === undefined) return byDefault && isPackageInstalled(name);
    const enabled = this.bool(path, value);
    if (enabled && !isPackageInstalled(name)) {
      throw new EventBusConfigurationError(missingPackage(name, `${path}: true`));
    }
    return enabled;
  }

  metrics(
    value: EventBusModuleOptions['metrics'],
    byDefault: boolean,
  ): ResolvedEventBusOptions['metrics'] {
    const enabled = this.peerFeature('metrics.enabled', value?.enabled, byDefault, 'prom-client');
    if (value?.registry !== undefined) {
      return { enabled, registry: this.registry('metrics.registry', value.registry) };
    }
    if (!enabled) return { enabled, registry: undefined };
    const { register } = loadPackage<typeof import('prom-client')>(
      'prom-client',
      'metrics.enabled: true',
    );
    return { enabled, registry: register };
  }

  registry(path: string, value: unknown): MetricsRegistry {
    const candidate = value as Partial<MetricsRegistry> | null;
    if (
      candidate === null ||
      typeof candidate !== 'object' ||
      typeof candidate.registerMetric !== 'function' ||
      typeof candidate.getSingleMetric !== 'function'
    ) {
      throw this.error(path, 'a prom-client Registry', value);
    }
    return value as MetricsRegistry;
  }

  interceptors(value: unknown): ResolvedEventBusOptions['interceptors'] {
    if (!Array.isArray(value)) throw this.error('interceptors', 'an array', value);
    value.forEach((interceptor, index) => {
      if (interceptor === null || typeof interceptor !== 'object') {
        throw this.error(`interceptors[${index}]`, 'an interceptor instance', interceptor);
      }
    });
    return value;
  }

  private error(path: string, expected: string, got: unknown): EventBusConfigurationError {
    return new EventBusConfigurationError(invalidOption(path, expected, got));
  }
}
