import { Logger } from '@nestjs/common';
import { logLevel, LogEntry } from 'kafkajs';

const logger = new Logger('KafkaJS');

/**
 * Routes kafkajs logs to Nest's logger. kafkajs logs retried, self-healing conditions (a
 * coordinator loading, a rebalance) as errors; they are kept at warn so real failures stand out.
 */
export const kafkaLogCreator =
  () =>
  (entry: LogEntry): void => {
    const { message, ...extra } = entry.log;
    // We bound producer retries on purpose: the relay retries the rows itself and the inbox
    // absorbs duplicates, so kafkajs' warning about exactly-once does not apply.
    if (message.startsWith('Limiting retries for the idempotent producer')) return;
    const text = `${message} ${JSON.stringify({ ...extra, namespace: entry.namespace })}`;
    switch (entry.level) {
      case logLevel.ERROR:
      case logLevel.WARN:
        logger.warn(text);
        break;
      case logLevel.INFO:
        logger.debug(text);
        break;
      default:
        logger.verbose(text);
    }
  };
