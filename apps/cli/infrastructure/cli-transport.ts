import { KafkaTopicReader, kafkaLogCreator, KafkaTransport } from '@nestbus/event-bus/kafka';
import type { TopicReader } from '@nestbus/event-bus/operations';
import {
  type EventTransport,
  type OutgoingRecord,
  PostgresTopicReader,
  PostgresTransport,
} from '@nestbus/event-bus/transport';
import { Injectable } from '@nestjs/common';
import type { logCreator } from 'kafkajs';
import { CliError, EXIT_CODES, isVerbose, UnreachableError } from '../cli.errors';
import { CliEnvironment, type CliTransportConfig } from '../cli.environment';

/** kafkajs' own complaints about an unreachable broker repeat what the CLI says once. */
const silent: logCreator = () => () => undefined;

/** A reader the CLI connects first and can interrupt (Ctrl-C). */
type OperatorReader = TopicReader & {
  connect(): Promise<void>;
  abort(reason: unknown): void;
};

/**
 * Clients of the services' transport, made per command: Kafka on KAFKA_BROKERS (127.0.0.1:9092
 * by default), or with EVENT_TRANSPORT=postgres the bus database of BUS_DATABASE_URL.
 */
@Injectable()
export class CliTransport {
  constructor(private readonly environment: CliEnvironment) {}

  /** How output names where records go: `Kafka`, `the bus database`. */
  async destination(): Promise<string> {
    return (await this.environment.transport()).type === 'kafka' ? 'Kafka' : 'the bus database';
  }

  /** Runs `work` with a connected reader, and disconnects it afterwards. */
  async useReader<T>(work: (reader: TopicReader) => Promise<T>): Promise<T> {
    const transport = await this.environment.transport();
    const { serviceId } = await this.environment.config();
    const reader: OperatorReader =
      transport.type === 'kafka'
        ? new KafkaTopicReader({ type: 'kafka', brokers: transport.brokers }, serviceId, {
            logCreator: isVerbose() ? kafkaLogCreator : silent,
          })
        : new PostgresTopicReader({ type: 'postgres', url: transport.url }, serviceId);
    try {
      await connected(transport, () => reader.connect());
      // Ctrl-C ends a long read cleanly (no consumer group left behind); a second one kills.
      const interrupt = (): void =>
        reader.abort(new CliError('Interrupted.', EXIT_CODES.interrupted));
      process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
      try {
        return await work(reader);
      } finally {
        process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
      }
    } finally {
      await reader.close();
    }
  }

  /**
   * Sends records with the bus's transport, connecting it on the first send only (a dry run
   * never connects); `close` disconnects it if it was connected.
   */
  lazySender(): {
    send(records: OutgoingRecord[]): Promise<void>;
    close(): Promise<void>;
  } {
    let opened: Promise<EventTransport> | undefined;
    return {
      send: async (records) => {
        opened ??= this.connect();
        await (await opened).send(records);
      },
      close: async () => {
        if (opened) await (await opened.catch(() => undefined))?.close();
      },
    };
  }

  /** The bus's own transport, which creates topics the way the services do. */
  async useTransport<T>(work: (transport: EventTransport) => Promise<T>): Promise<T> {
    const transport = await this.connect();
    try {
      return await work(transport);
    } finally {
      await transport.close();
    }
  }

  private async connect(): Promise<EventTransport> {
    const config = await this.environment.transport();
    const { serviceId } = await this.environment.config();
    const transport: EventTransport =
      config.type === 'kafka'
        ? new KafkaTransport({ type: 'kafka', brokers: config.brokers }, serviceId)
        : new PostgresTransport({ type: 'postgres', url: config.url }, serviceId);
    try {
      await connected(config, () => transport.connect());
    } catch (error) {
      await transport.close().catch(() => undefined);
      throw error;
    }
    return transport;
  }
}

/** Runs `connect`; a failure says which server did not answer and how to point at another. */
async function connected(transport: CliTransportConfig, connect: () => Promise<void>) {
  try {
    await connect();
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw new UnreachableError(unreachable(transport, cause), error);
  }
}

function unreachable(transport: CliTransportConfig, cause: unknown): string {
  const why = describe(cause);
  if (transport.type === 'kafka') {
    return (
      `Kafka is not reachable at ${transport.brokers.join(',')} (${why}). Start it with: ` +
      'npm run kafka:start (scripts/kafka.sh start), or point KAFKA_BROKERS at a running broker.'
    );
  }
  const at = location(transport.url);
  const point =
    'point BUS_DATABASE_URL at the database the services share for EVENT_TRANSPORT=postgres.';
  return isServerAnswer(cause)
    ? `The bus database at ${at} refused the connection (${why}). Check the user, password ` +
        `and database name, or ${point}`
    : `The bus database is not reachable at ${at} (${why}). Start PostgreSQL, or ${point}`;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return error.message || (typeof code === 'string' ? code : error.name);
}

/** A PostgreSQL server answered with a SQLSTATE (no such database, bad password, ...). */
function isServerAnswer(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('57P');
}

/** The URL without its password. */
function location(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'BUS_DATABASE_URL';
  }
}
