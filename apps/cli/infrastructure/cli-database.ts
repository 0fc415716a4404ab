import { existsSync } from 'node:fs';
import { Injectable, type Abstract, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource, DataSourceOptions } from 'typeorm';
import { InMemoryBroker } from '@nestbus/event-bus';
import { DatabaseConfig, eventBusOptionsFor, typeOrmOptionsFor } from '@nestbus/service-config';
import { CliError, isVerbose, UnreachableError, UsageError } from '../cli.errors';
import { CliEnvironment } from '../cli.environment';
import { cliLogger } from '../cli.logger';
import { CliDatabaseModule } from './cli-database.module';

const CONNECT_TIMEOUT_MS = 5000;
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  '57P03', // the server is starting up or shutting down
]);

/** An open database with the event bus's stores on it. */
export interface DatabaseSession {
  /** Where, for messages: `postgres://postgres@127.0.0.1:5432/app` or the SQLite path. */
  readonly location: string;
  readonly dataSource: DataSource;
  /** A provider of the bus, by its class or, for a storage port, its abstract class. */
  get<T>(type: Type<T> | Abstract<T>): T;
  hasTable(name: string): Promise<boolean>;
}

/**
 * Opens the database of DATABASE_URL for one command. Built per command rather than at startup,
 * so commands that do not need the database (and `--help`) never connect to it. The CLI never
 * runs migrations or `synchronize`: it works on the schema the service created.
 */
@Injectable()
export class CliDatabase {
  constructor(private readonly environment: CliEnvironment) {}

  /** Runs `work` with an open session and closes it afterwards, whatever happens. */
  async use<T>(work: (session: DatabaseSession) => Promise<T>): Promise<T> {
    const database = await this.environment.database();
    const location = describe(database);
    const dataSource = await this.connect(database, location);
    let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
    try {
      const hasTable = async (name: string): Promise<boolean> => {
        const runner = dataSource.createQueryRunner();
        try {
          return await runner.hasTable(name);
        } finally {
          await runner.release();
        }
      };
      if (!(await hasTable('event_outbox'))) {
        throw new CliError(
          `${location} has no event_outbox table. Is DATABASE_URL the database of a service ` +
            'that uses the event bus? The service creates the table (migrations) when it starts.',
        );
      }
      app = await NestFactory.createApplicationContext(
        CliDatabaseModule.forRoot(dataSource, await this.busOptions()),
        { logger: cliLogger(isVerbose()), abortOnError: false },
      );
      const context = app;
      return await work({
        location,
        dataSource,
        get: (type) => context.get(type),
        hasTable,
      });
    } finally {
      // Closing the context destroys the DataSource too.
      if (app) await app.close();
      else await dataSource.destroy().catch(() => undefined);
    }
  }

  private async busOptions() {
    return {
      ...eventBusOptionsFor(await this.environment.config()),
      transport: { type: 'in-memory' as const, broker: new InMemoryBroker() },
      outbox: { enabled: false },
      consumer: { enabled: false },
      metrics: { enabled: false },
    };
  }

  private async connect(database: DatabaseConfig, location: string): Promise<DataSource> {
    if (database.type === 'sqlite' && !existsSync(database.path)) {
      throw new UsageError(
        `DATABASE_URL names the SQLite file ${database.path}, which does not exist. ` +
          "Point it at the service's database file (e.g. ./data/order-service.sqlite).",
      );
    }
    const options = {
      ...(typeOrmOptionsFor(database, [], []) as DataSourceOptions),
      migrationsRun: false,
      synchronize: false,
      ...(database.type === 'postgres' ? { connectTimeoutMS: CONNECT_TIMEOUT_MS } : {}),
    } as DataSourceOptions;
    const dataSource = new DataSource(options);
    try {
      await dataSource.initialize();
      return dataSource;
    } catch (error) {
      const reason = error instanceof Error ? error.message || codeOf(error) : String(error);
      if (database.type === 'postgres' && isUnreachable(error)) {
        throw new UnreachableError(
          `PostgreSQL is not reachable at ${location} (${codeOf(error) ?? reason}). Start it ` +
            '(on a development machine: pg_ctlcluster --skip-systemctl-redirect ' +
            '$(ls /etc/postgresql) main start), or point DATABASE_URL at a running server.',
          error,
        );
      }
      throw new CliError(`Cannot open the database ${location}: ${reason}`, 1, { cause: error });
    }
  }
}

function describe(database: DatabaseConfig): string {
  if (database.type === 'sqlite') return database.path;
  try {
    const url = new URL(database.url);
    // Never print a password.
    url.password = '';
    return url.toString();
  } catch {
    return 'the PostgreSQL database of DATABASE_URL';
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isUnreachable(error: unknown): boolean {
  const code = codeOf(error);
  if (code && UNREACHABLE_CODES.has(code)) return true;
  const nested = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(nested) && nested.some(isUnreachable)) return true;
  const message = error instanceof Error ? error.message : '';
  return /timeout|timed out|terminated unexpectedly/i.test(message);
}
