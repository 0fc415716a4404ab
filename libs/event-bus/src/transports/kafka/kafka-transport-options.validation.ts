import type { KafkaTransportOptions } from './kafka-transport-options.interface';
import { LEAF, section } from '../../util/option-keys';
import type { OptionChecker } from '../../util/option-checker';

/**
 * The keys `transport: { type: 'kafka' }` takes, and `{ type: 'platformatic-kafka' }` too (the
 * same options, on the other client); `ssl` and `sasl` are passed on whole.
 */
export const KAFKA_OPTION_KEYS = section<KafkaTransportOptions>({
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
});

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'];

/** Bounds of the numeric Kafka options, in milliseconds or bytes. */
const LIMITS: ReadonlyArray<[keyof Omit<KafkaTransportOptions, 'type'>, number, number]> = [
  ['connectionTimeoutMs', 100, 600_000],
  ['requestTimeoutMs', 100, 600_000],
  ['sendTimeoutMs', 100, 600_000],
  ['sessionTimeoutMs', 1000, 3_600_000],
  ['heartbeatIntervalMs', 100, 600_000],
  ['maxBytesPerPartition', 1024, 100 * 1024 * 1024],
];

/**
 * Checks the options of a Kafka transport, on either client, without loading the client (an
 * optional peer).
 */
export function checkKafkaOptions<T extends Omit<KafkaTransportOptions, 'type'>>(
  check: OptionChecker,
  value: T,
): T {
  if (!Array.isArray(value.brokers) || value.brokers.length === 0) {
    throw check.error(
      'transport.brokers',
      'a non-empty array of "host:port" strings',
      value.brokers,
    );
  }
  value.brokers.forEach((broker, i) => {
    if (typeof broker !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw check.error(`transport.brokers[${i}]`, 'a "host:port" string', broker);
    }
  });
  if (value.clientId !== undefined) check.name('transport.clientId', value.clientId);
  const ssl: unknown = value.ssl;
  if (ssl !== undefined && typeof ssl !== 'boolean' && (ssl === null || typeof ssl !== 'object')) {
    throw check.error('transport.ssl', 'true, false or Node TLS options', ssl);
  }
  if (value.sasl !== undefined) {
    const sasl = value.sasl as {
      mechanism?: unknown;
      username?: unknown;
      password?: unknown;
    } | null;
    if (
      sasl === null ||
      typeof sasl !== 'object' ||
      !SASL_MECHANISMS.includes(String(sasl.mechanism))
    ) {
      throw check.error(
        'transport.sasl.mechanism',
        SASL_MECHANISMS.map((m) => `"${m}"`).join(', '),
        sasl?.mechanism,
      );
    }
    if (typeof sasl.username !== 'string' || typeof sasl.password !== 'string') {
      // Never echo credentials back in an error.
      throw check.error('transport.sasl', 'string username and password', 'another type');
    }
  }
  if (value.compression !== undefined && !['none', 'gzip'].includes(value.compression)) {
    throw check.error('transport.compression', '"none" or "gzip"', value.compression);
  }
  for (const [key, min, max] of LIMITS) {
    if (value[key] !== undefined) check.int(`transport.${key}`, value[key], min, max);
  }
  return value;
}
