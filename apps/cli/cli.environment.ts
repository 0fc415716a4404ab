import { Injectable } from '@nestjs/common';
import { LazyModuleLoader } from '@nestjs/core';
import {
  DatabaseConfig,
  EnvironmentError,
  SERVICE_CONFIG,
  ServiceConfig,
  ServiceConfigModule,
  ServiceEnvironment,
  ServiceSchema,
  toServiceConfig,
} from '@nestbus/service-config';
import { UsageError } from './cli.errors';

/**
 * The services' variables (an operator points the CLI at a service by copying that service's
 * settings), with what the CLI assumes when the environment does not say.
 */
export class CliEnvironmentVariables extends ServiceEnvironment {
  // The CLI listens on nothing; PORT is still checked, as the service it copies would.
  override PORT = 0;
  override SERVICE_ID = 'event-bus-cli';
  // Unset: the commands that need a database refuse to guess a file (see database()).
  override DATABASE_URL = '';
  override KAFKA_BROKERS = ['127.0.0.1:9092'];
}

/** The services' settings; the CLI's always name brokers. */
export interface CliConfig extends ServiceConfig {
  kafkaBrokers: string[];
}

export const CLI_SCHEMA: ServiceSchema<CliEnvironmentVariables, CliConfig> = {
  environment: CliEnvironmentVariables,
  toConfig: (env) => ({ ...toServiceConfig(env), kafkaBrokers: env.get('KAFKA_BROKERS') }),
};

/** The transport the services' events travel on, which the CLI reads and sends on too. */
export type CliTransportConfig =
  { type: 'kafka'; brokers: string[] } | { type: 'postgres'; url: string };

/**
 * The CLI's settings (DATABASE_URL, KAFKA_BROKERS or EVENT_TRANSPORT=postgres with
 * BUS_DATABASE_URL, SERVICE_ID, EVENT_TOPIC_PREFIX, ...), validated by @nestjs/config against
 * CLI_SCHEMA. Loaded lazily, on a command's first question: `--help` works with any
 * environment, and a bad variable is a usage error (exit code 2).
 */
@Injectable()
export class CliEnvironment {
  private loaded?: Promise<CliConfig>;

  constructor(private readonly modules: LazyModuleLoader) {}

  config(): Promise<CliConfig> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  /** The database to work on; DATABASE_URL is required (no default file is guessed). */
  async database(): Promise<DatabaseConfig> {
    const { database } = await this.config();
    if (database.type === 'sqlite' && database.path === '') {
      throw new UsageError(
        'DATABASE_URL is not set. Point it at the database of the service to inspect: ' +
          'postgres://user@host:5432/db, or the SQLite file (e.g. ./data/order-service.sqlite).',
      );
    }
    return database;
  }

  /**
   * The transport of EVENT_TRANSPORT: Kafka on KAFKA_BROKERS unless it says postgres (the bus
   * database of BUS_DATABASE_URL, which the environment's check already required).
   */
  async transport(): Promise<CliTransportConfig> {
    const { transport, kafkaBrokers, busDatabaseUrl } = await this.config();
    if (transport === 'postgres' && busDatabaseUrl) {
      return { type: 'postgres', url: busDatabaseUrl };
    }
    if (transport === 'in-memory') {
      throw new UsageError(
        'EVENT_TRANSPORT is in-memory: those events never leave the service process, so there ' +
          'is nothing to read from outside. Set EVENT_TRANSPORT=kafka (KAFKA_BROKERS) or ' +
          'EVENT_TRANSPORT=postgres (BUS_DATABASE_URL), as the services to inspect run.',
      );
    }
    return { type: 'kafka', brokers: kafkaBrokers };
  }

  async topicPrefix(): Promise<string | undefined> {
    return (await this.config()).topicPrefix;
  }

  private async load(): Promise<CliConfig> {
    try {
      const settings = await this.modules.load(() =>
        ServiceConfigModule.forEnvironment(CLI_SCHEMA),
      );
      return settings.get<CliConfig>(SERVICE_CONFIG);
    } catch (error) {
      if (error instanceof EnvironmentError) throw new UsageError(error.message);
      throw error;
    }
  }
}
