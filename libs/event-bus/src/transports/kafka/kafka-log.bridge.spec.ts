import { createServer, type AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { logLevel, type LogEntry } from 'kafkajs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { compileTestApp, RecordingLogger } from '../../__fixtures__/event-bus-test-app';
import { TransportError } from '../../errors/transport.error';
import { kafkaLogCreator } from './kafka-log.bridge';

interface Line {
  level: string;
  message: string;
  context: unknown;
}

/** Keeps every line with its level and context (the Nest logger passes the context last). */
class CapturingLogger extends RecordingLogger {
  readonly withContext: Line[] = [];
  override log(message: unknown, ...rest: unknown[]): void {
    this.push('log', message, rest);
  }
  override error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest);
  }
  override warn(message: unknown, ...rest: unknown[]): void {
    this.push('warn', message, rest);
  }
  override debug(message: unknown, ...rest: unknown[]): void {
    this.push('debug', message, rest);
  }
  override verbose(message: unknown, ...rest: unknown[]): void {
    this.push('verbose', message, rest);
  }

  kafka(level: string): string[] {
    return this.withContext
      .filter((l) => l.level === level && l.context === 'KafkaJS')
      .map((l) => l.message);
  }

  private push(level: string, message: unknown, rest: unknown[]): void {
    this.withContext.push({ level, message: String(message), context: rest.at(-1) });
  }
}

/** A port on 127.0.0.1 that nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

describe('kafkajs logs while the broker is unreachable', () => {
  it('gives one readable warning per connection attempt and keeps the detail at debug', async () => {
    const broker = `127.0.0.1:${await closedPort()}`;
    const logger = new CapturingLogger();
    const app = await compileTestApp({
      bus: { transport: { type: 'kafka', brokers: [broker] } },
      logger,
    });

    // kafkajs gives up after its retries, which bounds the capture (about 10 s: under jest,
    // NODE_ENV=test, kafkajs retries 15 times from 50 ms up to 1 s apart).
    const error = await app.init().catch((e: unknown) => e);
    await app.get<DataSource>(getDataSourceToken()).destroy();

    expect(error).toBeInstanceOf(TransportError);
    const warnings = logger.kafka('warn');
    const attempts = warnings.map((line) => {
      const match = new RegExp(
        `^Kafka broker ${broker.replace(/\./g, '\\.')} unreachable \\(connect ECONNREFUSED\\), attempt (\\d+), retrying in \\d+(\\.\\d)? m?s$`,
      ).exec(line);
      if (!match) throw new Error(`Unexpected KafkaJS warning: ${line}`);
      return Number(match[1]);
    });
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    // One line per attempt: 1, 2, 3, ... with none repeated or missing.
    expect(attempts).toEqual(attempts.map((_, i) => i + 1));
    expect(logger.kafka('error')).toEqual([]);
    expect(logger.kafka('log')).toEqual([]);
    // The detail is not lost: the connection's own error, with its stack, at debug.
    const details = logger.kafka('debug').filter((l) => l.includes('ECONNREFUSED'));
    expect(details.some((l) => l.includes(`"broker":"${broker}"`) && l.includes('"stack"'))).toBe(
      true,
    );
  }, 60_000);
});

describe('kafkaLogCreator', () => {
  let logger: CapturingLogger;
  const entry = (level: logLevel, message: unknown, extra: object = {}, namespace = 'Consumer') =>
    ({
      namespace,
      level,
      label: 'ERROR',
      log: { timestamp: '2026-01-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
    }) as LogEntry;

  beforeEach(() => {
    logger = new CapturingLogger();
    Logger.overrideLogger(logger);
  });

  it('writes a warning as its message and the fields that place it, not as JSON', () => {
    const log = kafkaLogCreator();

    log(
      entry(logLevel.ERROR, 'Response Heartbeat(key: 12, version: 3)', {
        broker: 'k1:9092',
        clientId: 'svc',
        groupId: 'orders',
        error: 'The group is rebalancing, so a rejoin is needed',
        correlationId: 7,
      }),
    );

    expect(logger.kafka('warn')).toEqual([
      'Response Heartbeat(key: 12, version: 3): The group is rebalancing, so a rejoin is needed (group orders, broker k1:9092)',
    ]);
    expect(logger.kafka('debug')[0]).toContain('"correlationId":7');
  });

  it('names the broker of a timed-out connection attempt from the connection entry before it', () => {
    const log = kafkaLogCreator();

    log(entry(logLevel.ERROR, 'Connection timeout', { broker: 'k2:9093' }, 'Connection'));
    log(
      entry(
        logLevel.ERROR,
        'Failed to connect to seed broker, trying another broker from the list: Connection timeout',
        { retryCount: 2, retryTime: 1234 },
        'BrokerPool',
      ),
    );

    expect(logger.kafka('warn')).toEqual([
      'Kafka broker k2:9093 unreachable (connection timeout), attempt 3, retrying in 1.2 s',
    ]);
  });

  it('takes an Error logged as the message', () => {
    const log = kafkaLogCreator();

    log(entry(logLevel.ERROR, new Error('broken pipe'), { retryCount: 0, retryTime: 300 }));

    expect(logger.kafka('warn')).toEqual(['Error: broken pipe (attempt 1)']);
  });

  it('keeps info at debug and drops the idempotent-producer warning the bus makes moot', () => {
    const log = kafkaLogCreator();

    log(entry(logLevel.INFO, 'Starting', { groupId: 'orders' }));
    log(
      entry(
        logLevel.WARN,
        'Limiting retries for the idempotent producer may invalidate EoS guarantees',
      ),
    );

    expect(logger.kafka('warn')).toEqual([]);
    expect(logger.kafka('debug')).toEqual([
      'Starting {"timestamp":"2026-01-01T00:00:00.000Z","logger":"kafkajs","groupId":"orders","namespace":"Consumer"}',
    ]);
  });
});
