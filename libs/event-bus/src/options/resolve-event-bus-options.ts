import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { invalidOption } from '../event-bus.messages';
import { mediaTypeOf } from '../envelope/content-type';
import { JsonPayloadCodec } from '../envelope/json-payload.codec';
import type {
  CloudEventsMode,
  EventBusModuleOptions,
  ResolvedEventBusOptions,
  RetryOptions,
} from '../interfaces/event-bus-options.interface';
import type { PayloadCodec } from '../interfaces/payload-codec.interface';
import { checkTransportOptions } from '../transports/transport-options';
import { OptionChecker } from '../util/option-checker';
import { DAY, EVENT_BUS_DEFAULTS, SECOND } from './event-bus-defaults';
import { EVENT_BUS_OPTION_KEYS } from './event-bus-option-keys';
import { resolveObservabilityOptions } from './observability-options';

/**
 * Applies defaults and checks every option, so a bad value fails startup with an error that
 * names it instead of misbehaving later.
 */
export function resolveEventBusOptions(options: EventBusModuleOptions): ResolvedEventBusOptions {
  const check = new OptionChecker();
  if (options === null || typeof options !== 'object') {
    throw new EventBusConfigurationError(invalidOption('options', 'an object', options));
  }
  check.keys(options, EVENT_BUS_OPTION_KEYS);
  const serviceId = check.name('serviceId', options.serviceId);
  const d = EVENT_BUS_DEFAULTS;
  return {
    serviceId,
    transport: checkTransportOptions(check, options.transport),
    dataSource: check.optionalString('dataSource', options.dataSource),
    outbox: resolveOutbox(check, options.outbox ?? {}),
    consumer: resolveConsumer(check, options.consumer ?? {}, serviceId),
    topics: resolveTopics(check, options.topics ?? {}),
    inbox: {
      retentionMs: check.int(
        'inbox.retentionMs',
        options.inbox?.retentionMs ?? d.inbox.retentionMs,
        60 * SECOND,
        3650 * DAY,
      ),
    },
    codec: resolveCodec(check, options.codec ?? {}),
    ...resolveObservabilityOptions(check, options),
    maintenance: {
      cleanupEveryMs: check.int(
        'maintenance.cleanupEveryMs',
        options.maintenance?.cleanupEveryMs ?? d.maintenance.cleanupEveryMs,
        SECOND,
        DAY,
      ),
    },
    interceptors: checkInterceptors(check, options.interceptors ?? []),
    shutdownTimeoutMs: check.int(
      'shutdownTimeoutMs',
      options.shutdownTimeoutMs ?? d.shutdownTimeoutMs,
      0,
      10 * 60 * SECOND,
    ),
  };
}

/**
 * A handler's own `retry` merged over `consumer.retry`, with the checks `forRoot` applies to it
 * (keys and values), without resolving the other options again for every handler.
 */
export function resolveHandlerRetry(base: RetryOptions, own: unknown): RetryOptions {
  const check = new OptionChecker();
  check.keys({ consumer: { retry: own } }, EVENT_BUS_OPTION_KEYS);
  return checkRetry(check, 'consumer.retry', {
    ...base,
    ...(own as Partial<RetryOptions> | undefined),
  });
}

function checkRetry(check: OptionChecker, path: string, value: RetryOptions): RetryOptions {
  return {
    maxRetries: check.int(`${path}.maxRetries`, value.maxRetries, 0, 1000),
    ...check.backoff(path, value),
  };
}

function resolveOutbox(
  check: OptionChecker,
  outbox: NonNullable<EventBusModuleOptions['outbox']>,
): ResolvedEventBusOptions['outbox'] {
  const d = EVENT_BUS_DEFAULTS.outbox;
  const enabled = check.bool('outbox.enabled', outbox.enabled ?? d.enabled);
  return {
    enabled,
    batchSize: check.int('outbox.batchSize', outbox.batchSize ?? d.batchSize, 1, 10_000),
    batchesInFlight: check.int(
      'outbox.batchesInFlight',
      outbox.batchesInFlight ?? d.batchesInFlight,
      1,
      16,
    ),
    pollIntervalMs: check.int(
      'outbox.pollIntervalMs',
      outbox.pollIntervalMs ?? d.pollIntervalMs,
      10,
      DAY,
    ),
    // Announce only when the rows are relayed elsewhere: announcing serialises commits on
    // PostgreSQL, and an enabled relay hears of its own commits in process.
    notify: check.bool('outbox.notify', outbox.notify ?? !enabled),
    listen: check.bool('outbox.listen', outbox.listen ?? d.listen),
    maxAttempts: check.int('outbox.maxAttempts', outbox.maxAttempts ?? d.maxAttempts, 1, 1000),
    backoff: check.backoff('outbox.backoff', { ...d.backoff, ...outbox.backoff }),
    retentionMs: check.int('outbox.retentionMs', outbox.retentionMs ?? d.retentionMs, 0, 365 * DAY),
    retryFailedEveryMs: check.intervalOrOff(
      'outbox.retryFailedEveryMs',
      outbox.retryFailedEveryMs ?? d.retryFailedEveryMs,
      SECOND,
      // setInterval runs a longer delay than 2^31 - 1 ms (24.8 days) every millisecond.
      24 * DAY,
    ),
    redeliverOnStartupMs: check.int(
      'outbox.redeliverOnStartupMs',
      outbox.redeliverOnStartupMs ?? d.redeliverOnStartupMs,
      0,
      30 * DAY,
    ),
  };
}

function resolveConsumer(
  check: OptionChecker,
  consumer: NonNullable<EventBusModuleOptions['consumer']>,
  serviceId: string,
): ResolvedEventBusOptions['consumer'] {
  const d = EVENT_BUS_DEFAULTS.consumer;
  const count = (key: keyof typeof d & keyof typeof consumer, max: number): number =>
    check.int(`consumer.${key}`, consumer[key] ?? d[key], 1, max);
  return {
    enabled: check.bool('consumer.enabled', consumer.enabled ?? d.enabled),
    groupId: check.name('consumer.groupId', consumer.groupId ?? serviceId),
    fromBeginning: check.bool('consumer.fromBeginning', consumer.fromBeginning ?? d.fromBeginning),
    maxBatchSize: count('maxBatchSize', 10_000),
    concurrency: count('concurrency', 1000),
    recordsPerTransaction: count('recordsPerTransaction', 10_000),
    partitionsConcurrently: count('partitionsConcurrently', 1000),
    retry: checkRetry(check, 'consumer.retry', { ...d.retry, ...consumer.retry }),
    unavailableBackoff: check.backoff('consumer.unavailableBackoff', {
      ...d.unavailableBackoff,
      ...consumer.unavailableBackoff,
    }),
    isTransient:
      consumer.isTransient === undefined
        ? undefined
        : check.fn('consumer.isTransient', consumer.isTransient),
  };
}

function resolveTopics(
  check: OptionChecker,
  topics: NonNullable<EventBusModuleOptions['topics']>,
): ResolvedEventBusOptions['topics'] {
  const d = EVENT_BUS_DEFAULTS.topics;
  return {
    partitions: check.int('topics.partitions', topics.partitions ?? d.partitions, 1, 10_000),
    replicationFactor: check.int(
      'topics.replicationFactor',
      topics.replicationFactor ?? d.replicationFactor,
      1,
      100,
    ),
    naming: check.fn('topics.naming', topics.naming ?? ((type: string) => type)),
  };
}

const CODEC_MODES: readonly CloudEventsMode[] = ['binary', 'structured'];
/** A media type without parameters (RFC 6838 names), as `codec.payload.contentType` must be. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

function resolveCodec(
  check: OptionChecker,
  codec: NonNullable<EventBusModuleOptions['codec']>,
): ResolvedEventBusOptions['codec'] {
  const d = EVENT_BUS_DEFAULTS.codec;
  const mode = codec.mode ?? d.mode;
  if (!CODEC_MODES.includes(mode)) {
    throw check.error('codec.mode', '"binary" or "structured"', mode);
  }
  return {
    maxMessageBytes: check.int(
      'codec.maxMessageBytes',
      codec.maxMessageBytes ?? d.maxMessageBytes,
      1,
      100 * 1024 * 1024,
    ),
    mode,
    payload:
      codec.payload === undefined
        ? new JsonPayloadCodec()
        : checkPayloadCodec(check, codec.payload),
  };
}

/** A plugged-in codec must have the port's shape, and a content type of its own. */
function checkPayloadCodec(check: OptionChecker, codec: unknown): PayloadCodec {
  const path = 'codec.payload';
  if (codec === null || typeof codec !== 'object') {
    throw check.error(
      path,
      'a PayloadCodec (an object with contentType, encode and decode)',
      codec,
    );
  }
  const { contentType, encode, decode } = codec as Partial<PayloadCodec>;
  if (typeof contentType !== 'string' || !MEDIA_TYPE.test(contentType)) {
    throw check.error(
      `${path}.contentType`,
      'a media type without parameters, such as "application/avro"',
      contentType,
    );
  }
  if (mediaTypeOf(contentType).startsWith('application/cloudevents')) {
    throw check.error(
      `${path}.contentType`,
      'the media type of the data, not of a CloudEvents format (that is codec.mode)',
      contentType,
    );
  }
  check.fn(`${path}.encode`, encode);
  check.fn(`${path}.decode`, decode);
  return codec as PayloadCodec;
}

function checkInterceptors(
  check: OptionChecker,
  value: unknown,
): ResolvedEventBusOptions['interceptors'] {
  if (!Array.isArray(value)) throw check.error('interceptors', 'an array', value);
  value.forEach((interceptor, index) => {
    if (interceptor === null || typeof interceptor !== 'object') {
      throw check.error(`interceptors[${index}]`, 'an interceptor instance', interceptor);
    }
  });
  return value;
}
