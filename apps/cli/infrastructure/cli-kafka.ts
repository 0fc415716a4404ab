import { KafkaTopicReader, kafkaLogCreator, KafkaTransport } from '@nestbus/event-bus/kafka';
import type { OutgoingRecord } from '@nestbus/event-bus/transport';
import { Injectable } from '@nestjs/common';
import type { logCreator } from 'kafkajs';
import { CliError, EXIT_CODES, isVerbose, UnreachableError } from '../cli.errors';
import { CliEnvironment } from '../cli.environment';

/** kafkajs' own complaints about an unreachable broker repeat what the CLI says once. */
const silent: logCreator = () => () => undefined;

/** Kafka clients of KAFKA_BROKERS (127.0.0.1:9092 by default), made per command. */
@Injectable()
export class CliKafka {
  constructor(private readonly environment: CliEnvironment) {}

  /** Runs `work` with a connected reader, and disconnects it afterwards. */
  async useReader<T>(work: (reader: KafkaTopicReader) => Promise<T>): Promise<T> {
    const { kafkaBrokers: brokers, serviceId } = await this.environment.config();
    const reader = new KafkaTopicReader({ type: 'kafka', brokers }, serviceId, {
      logCreator: isVerbose() ? kafkaLogCreator : silent,
    });
    try {
      try {
        await reader.connect();
      } catch (error) {
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
        throw new UnreachableError(
          `Kafka is not reachable at ${brokers.join(',')} (${describe(cause)}). Start it with: ` +
            'npm run kafka:start (scripts/kafka.sh start), or point KAFKA_BROKERS at a running broker.',
          error,
        );
      }
      // Ctrl-C ends a long read cleanly (throwaway group deleted); a second one kills.
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
    let connected: Promise<KafkaTransport> | undefined;
    return {
      send: async (records) => {
        connected ??= (async () => {
          const transport = await this.transport();
          await transport.connect();
          return transport;
        })();
        await (await connected).send(records);
      },
      close: async () => {
        if (connected) await (await connected.catch(() => undefined))?.close();
      },
    };
  }

  /** The bus's own transport, which creates topics the way the services do. */
  async useTransport<T>(work: (transport: KafkaTransport) => Promise<T>): Promise<T> {
    const transport = await this.transport();
    try {
      await transport.connect();
      return await work(transport);
    } finally {
      await transport.close();
    }
  }

  private async transport(): Promise<KafkaTransport> {
    const { kafkaBrokers, serviceId } = await this.environment.config();
    return new KafkaTransport({ type: 'kafka', brokers: kafkaBrokers }, serviceId);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
