/** Where the service keeps its data: PostgreSQL, or an embedded SQLite file. */
export type DatabaseConfig = { type: 'postgres'; url: string } | { type: 'sqlite'; path: string };

export interface OrderServiceConfig {
  port: number;
  /** Interface to listen on; all interfaces when absent. */
  host?: string;
  serviceId: string;
  database: DatabaseConfig;
}

const DEFAULT_PORT = 3002;
const DEFAULT_SQLITE_PATH = './data/order-service.sqlite';

/** Reads the service's settings from the environment; a bad value fails startup naming it. */
export function loadOrderServiceConfig(env: NodeJS.ProcessEnv): OrderServiceConfig {
  if (env.KAFKA_BROKERS) {
    // TODO(issue 3): KAFKA_BROKERS selects the Kafka transport.
    throw new Error('KAFKA_BROKERS is set, but the Kafka transport arrives with issue 3.');
  }
  return {
    port: parsePort(env.PORT, DEFAULT_PORT),
    host: env.HOST || undefined,
    serviceId: env.SERVICE_ID || 'order-service',
    database: parseDatabaseUrl(env.DATABASE_URL, DEFAULT_SQLITE_PATH),
  };
}

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${value}".`);
  }
  return port;
}

function parseDatabaseUrl(value: string | undefined, fallback: string): DatabaseConfig {
  if (!value) return { type: 'sqlite', path: fallback };
  if (/^postgres(ql)?:\/\//i.test(value)) return { type: 'postgres', url: value };
  return { type: 'sqlite', path: value };
}
