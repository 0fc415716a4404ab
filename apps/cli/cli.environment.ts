import { DatabaseConfig, loadServiceConfig, ServiceConfig } from '@nestbus/service-config';
import { UsageError } from './cli.errors';

/** What the CLI assumes when the environment does not say. */
export const CLI_DEFAULTS = {
  serviceId: 'event-bus-cli',
  kafkaBrokers: ['127.0.0.1:9092'],
} as const;

/**
 * The CLI reads the services' environment (DATABASE_URL, KAFKA_BROKERS, SERVICE_ID,
 * EVENT_TOPIC_PREFIX, ...), so an operator points it at a service by copying that service's
 * settings. Read lazily: `--help` works with any environment, and a command fails only for the
 * settings it needs.
 */
export class CliEnvironment {
  private loaded?: ServiceConfig;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  config(): ServiceConfig {
    if (this.loaded) return this.loaded;
    try {
      this.loaded = loadServiceConfig(this.env, {
        port: 0,
        serviceId: CLI_DEFAULTS.serviceId,
        sqlitePath: '',
      });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    return this.loaded;
  }

  /** The database to work on; DATABASE_URL is required (no default file is guessed). */
  database(): DatabaseConfig {
    if (!this.env.DATABASE_URL) {
      throw new UsageError(
        'DATABASE_URL is not set. Point it at the database of the service to inspect: ' +
          'postgres://user@host:5432/db, or the SQLite file (e.g. ./data/order-service.sqlite).',
      );
    }
    return this.config().database;
  }

  kafkaBrokers(): string[] {
    return this.config().kafkaBrokers ?? [...CLI_DEFAULTS.kafkaBrokers];
  }

  serviceId(): string {
    return this.config().serviceId;
  }

  topicPrefix(): string | undefined {
    return this.config().topicPrefix;
  }
}
