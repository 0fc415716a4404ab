import { Logger } from '@nestjs/common';
import { logLevel, LogEntry } from 'kafkajs';
import { kafkaBrokerUnreachable } from '../../event-bus.messages';
import { describeError } from '../../util/describe-error';

const logger = new Logger('KafkaJS');

const SEED_BROKER_FAILED =
  'Failed to connect to seed broker, trying another broker from the list: ';
/** A connection's own failure: the entry of whoever retries it follows, and says it better. */
const CONNECTION_FAILED = /^Connection (error|timeout)/;
/** Fields that make a warning readable; the others (stack, clientId, ...) stay at debug. */
const CONTEXT_FIELDS = [
  ['groupId', 'group'],
  ['topic', 'topic'],
  ['partition', 'partition'],
  ['broker', 'broker'],
] as const;
/** Bounds the broker-by-message memory: messages carry addresses, so few are distinct. */
const MAX_REMEMBERED = 100;

/**
 * Routes kafkajs logs to Nest's logger, one readable line per warning. kafkajs logs retried,
 * self-healing conditions (a coordinator loading, a rebalance) as errors; they are kept at warn
 * so real failures stand out. Every entry is also logged whole at debug, where its detail (stack,
 * correlation id, ...) belongs.
 *
 * An unreachable broker gives one line per connection attempt: kafkajs logs the connection's
 * error and then its retry, and only the retry is shown, with the broker the first one named.
 */
export const kafkaLogCreator = () => {
  // Per Kafka client: the broker of each recent connection error, by its message.
  const brokerOf = new Map<string, string>();
  return (entry: LogEntry): void => {
    const { message: logged, ...extra } = entry.log;
    // kafkajs sometimes logs an Error itself as the message.
    const message: string = typeof logged === 'string' ? logged : describeError(logged);
    // We bound producer retries on purpose: the relay retries the rows itself and the inbox
    // absorbs duplicates, so kafkajs' warning about exactly-once does not apply.
    if (message.startsWith('Limiting retries for the idempotent producer')) return;
    const detail = `${message} ${JSON.stringify({ ...extra, namespace: entry.namespace })}`;
    if (entry.level !== logLevel.ERROR && entry.level !== logLevel.WARN) {
      if (entry.level === logLevel.INFO) logger.debug(detail);
      else logger.verbose(detail);
      return;
    }
    logger.debug(detail);
    if (CONNECTION_FAILED.test(message) && typeof extra.broker === 'string') {
      if (brokerOf.size >= MAX_REMEMBERED) brokerOf.clear();
      brokerOf.set(message, extra.broker);
      return;
    }
    if (message.startsWith(SEED_BROKER_FAILED)) {
      const cause = message.slice(SEED_BROKER_FAILED.length);
      const broker = brokerOf.get(cause) ?? /(\S+:\d+)$/.exec(cause)?.[1];
      logger.warn(
        kafkaBrokerUnreachable(broker, reasonOf(cause, broker), attemptOf(extra), delayOf(extra)),
      );
      return;
    }
    logger.warn(readable(message, extra));
  };
};

/** The message with the fields that place it, e.g. `... (group svc, broker k1:9092, attempt 2)`. */
function readable(message: string, extra: Record<string, unknown>): string {
  const error =
    typeof extra.error === 'string' && !message.includes(extra.error) ? extra.error : '';
  const context: string[] = [];
  for (const [field, label] of CONTEXT_FIELDS) {
    const value = extra[field];
    if (typeof value === 'string' || typeof value === 'number') context.push(`${label} ${value}`);
  }
  const attempt = attemptOf(extra);
  if (attempt !== undefined) context.push(`attempt ${attempt}`);
  return `${message}${error ? `: ${error}` : ''}${context.length > 0 ? ` (${context.join(', ')})` : ''}`;
}

/** "Connection error: connect ECONNREFUSED 127.0.0.1:9092" says "connect ECONNREFUSED". */
function reasonOf(cause: string, broker: string | undefined): string {
  let reason = cause.replace(/^Connection error: /, '');
  if (broker && reason.endsWith(` ${broker}`)) reason = reason.slice(0, -broker.length - 1);
  return reason === 'Connection timeout' ? 'connection timeout' : reason;
}

function attemptOf(extra: Record<string, unknown>): number | undefined {
  return typeof extra.retryCount === 'number' ? extra.retryCount + 1 : undefined;
}

function delayOf(extra: Record<string, unknown>): number | undefined {
  return typeof extra.retryTime === 'number' ? extra.retryTime : undefined;
}
