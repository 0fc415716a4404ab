/** Where the service keeps its data: PostgreSQL, or an embedded SQLite file. */
export type DatabaseConfig = { type: 'postgres'; url: string } | { type: 'sqlite'; path: string };

export interface UserServiceConfig {
  port: number;
  /** Interface to listen on; all interfaces when absent. */
  host?: string;
  serviceId: string;
  database: DatabaseConfig;
  /** Kafka brokers; the in-memory transport when absent. */
  kafkaBrokers?: string[];
}

const DEFAULT_PORT = 3001;
const DEFAULT_SQLITE_PATH = './data/user-service.sqlite';

/** Reads the service's settings from the environment; a bad value fails startup naming it. */
export function loadUserServiceConfig(env: NodeJS.ProcessEnv): UserServiceConfig {
  return {
    port: parsePort(env.PORT, DEFAULT_PORT),
    host: env.HOST || undefined,
    serviceId: env.SERVICE_ID || 'user-service',
    database: parseDatabaseUrl(env.DATABASE_URL, DEFAULT_SQLITE_PATH),
    kafkaBrokers: parseBrokers(env.KAFKA_BROKERS),
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

function parseBrokers(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new Error(`KAFKA_BROKERS must be a comma list of host:port, got "${value}".`);
    }
  }
  return brokers;
}
