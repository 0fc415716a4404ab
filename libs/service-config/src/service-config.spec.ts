import { DEFAULT_DATABASE_LIMITS, typeOrmOptionsFor, type ServiceConfig } from './service-config';
import { BoundedPgClient } from './bounded-pg-client';
import { loadServiceConfig } from './environment/service-config.module';
import { TEST_SCHEMA } from './environment/__fixtures__/test-environment';
import { EnvironmentError } from './environment/environment.validation';

const SCHEMA = TEST_SCHEMA;
const PG = 'postgres://postgres@127.0.0.1:5432/db';

const load = (env: Record<string, string>) => loadServiceConfig(SCHEMA, env);

const limitsOf = (env: Record<string, string>) => {
  const { database } = load({ DATABASE_URL: PG, ...env });
  if (database.type !== 'postgres') throw new Error('expected postgres');
  return database.limits;
};

/** The problems the environment was refused for (fails the test if it was accepted). */
const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    load(env);
  } catch (error) {
    if (error instanceof EnvironmentError) return error.problems;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

const DEFAULT_CONFIG: ServiceConfig = {
  port: 3001,
  host: undefined,
  serviceId: 'svc',
  database: { type: 'sqlite', path: './svc.sqlite' },
  kafkaBrokers: undefined,
  transport: 'in-memory',
  busDatabaseUrl: undefined,
  topicPrefix: undefined,
  relayEnabled: true,
  maxMessageBytes: undefined,
  traceSampleRate: 0.01,
  topicReplicationFactor: undefined,
  httpMaxBodyBytes: 64 * 1024,
};

describe('loadServiceConfig: the shared variables', () => {
  it("applies the schema's defaults to an empty environment", () => {
    expect(load({})).toEqual(DEFAULT_CONFIG);
  });

  it('treats an empty variable as unset', () => {
    const empty = Object.fromEntries(
      [
        'PORT',
        'HOST',
        'SERVICE_ID',
        'DATABASE_URL',
        'KAFKA_BROKERS',
        'EVENT_TRANSPORT',
        'BUS_DATABASE_URL',
        'EVENT_TOPIC_PREFIX',
        'OUTBOX_RELAY_ENABLED',
        'EVENT_MAX_MESSAGE_BYTES',
        'EVENT_TRACE_SAMPLE_RATE',
        'EVENT_TOPIC_REPLICATION_FACTOR',
        'HTTP_MAX_BODY_BYTES',
        'DATABASE_POOL_SIZE',
      ].map((name) => [name, '']),
    );
    expect(load(empty)).toEqual(DEFAULT_CONFIG);
  });

  it('reads every variable', () => {
    expect(
      load({
        PORT: '0',
        HOST: '127.0.0.1',
        SERVICE_ID: 'svc-2',
        DATABASE_URL: '/var/lib/svc.db',
        KAFKA_BROKERS: ' kafka-1:9092 , kafka-2:9093,',
        EVENT_TOPIC_PREFIX: 'test-1.run_2.',
        OUTBOX_RELAY_ENABLED: 'false',
        EVENT_MAX_MESSAGE_BYTES: '2048',
        EVENT_TRACE_SAMPLE_RATE: '0.5',
        EVENT_TOPIC_REPLICATION_FACTOR: '3',
        HTTP_MAX_BODY_BYTES: '1024',
      }),
    ).toEqual({
      port: 0,
      host: '127.0.0.1',
      serviceId: 'svc-2',
      database: { type: 'sqlite', path: '/var/lib/svc.db' },
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9093'],
      transport: 'kafka',
      busDatabaseUrl: undefined,
      topicPrefix: 'test-1.run_2.',
      relayEnabled: false,
      maxMessageBytes: 2048,
      traceSampleRate: 0.5,
      topicReplicationFactor: 3,
      httpMaxBodyBytes: 1024,
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads OUTBOX_RELAY_ENABLED=%s as %s', (value, enabled) => {
    expect(load({ OUTBOX_RELAY_ENABLED: value }).relayEnabled).toBe(enabled);
  });

  it('selects the postgres transport with its bus database, whatever KAFKA_BROKERS says', () => {
    const config = load({
      EVENT_TRANSPORT: 'postgres',
      BUS_DATABASE_URL: 'postgres://bus@db:5432/bus',
      KAFKA_BROKERS: 'kafka:9092',
    });
    expect(config.transport).toBe('postgres');
    expect(config.busDatabaseUrl).toBe('postgres://bus@db:5432/bus');
  });

  it.each([
    [
      { EVENT_TRANSPORT: 'postgres' },
      'EVENT_TRANSPORT is postgres, so BUS_DATABASE_URL must be set: the postgres transport keeps its topics there.',
    ],
    [
      { EVENT_TRANSPORT: 'kafka' },
      'EVENT_TRANSPORT is kafka, so KAFKA_BROKERS must be set: the kafka transport needs its brokers.',
    ],
    [
      { EVENT_TRANSPORT: 'rabbit' },
      'EVENT_TRANSPORT must be in-memory, kafka or postgres, got "rabbit".',
    ],
    [
      { EVENT_TRANSPORT: 'postgres', BUS_DATABASE_URL: 'mysql://u:secret@h/db' },
      'BUS_DATABASE_URL must be a postgres:// URL, got a mysql:// URL.',
    ],
  ])('refuses %j', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });

  it.each(['postgres://u@h:5432/db', 'postgresql://u@h/db', 'POSTGRES://u@h/db'])(
    'takes %s for PostgreSQL',
    (url) => {
      expect(load({ DATABASE_URL: url }).database).toEqual({
        type: 'postgres',
        url,
        limits: DEFAULT_DATABASE_LIMITS,
      });
    },
  );

  it.each([
    ['PORT', '65535'],
    ['EVENT_TRACE_SAMPLE_RATE', '1'],
    ['EVENT_TRACE_SAMPLE_RATE', '0'],
    ['HTTP_MAX_BODY_BYTES', String(100 * 1024 * 1024)],
    ['HTTP_MAX_BODY_BYTES', '1'],
  ])('accepts %s=%s, at the edge of its range', (name, value) => {
    expect(() => load({ [name]: value })).not.toThrow();
  });

  it.each([
    ['PORT', 'abc', 'PORT must be an integer from 0 to 65535, got "abc".'],
    ['PORT', '65536', 'PORT must be an integer from 0 to 65535, got "65536".'],
    ['PORT', '-1', 'PORT must be an integer from 0 to 65535, got "-1".'],
    ['PORT', '1e3', 'PORT must be an integer from 0 to 65535, got "1e3".'],
    ['KAFKA_BROKERS', 'kafka', 'KAFKA_BROKERS must be a comma list of host:port, got "kafka".'],
    ['KAFKA_BROKERS', ' , ', 'KAFKA_BROKERS must be a comma list of host:port, got " , ".'],
    [
      'KAFKA_BROKERS',
      'a:1,b c:2',
      'KAFKA_BROKERS must be a comma list of host:port, got "a:1,b c:2".',
    ],
    [
      'KAFKA_BROKERS',
      'a:123456',
      'KAFKA_BROKERS must be a comma list of host:port, got "a:123456".',
    ],
    [
      'EVENT_TOPIC_PREFIX',
      'a/b',
      'EVENT_TOPIC_PREFIX may hold letters, digits, ".", "_" and "-" only, got "a/b".',
    ],
    ['OUTBOX_RELAY_ENABLED', 'yes', 'OUTBOX_RELAY_ENABLED must be true or false, got "yes".'],
    [
      'OUTBOX_RELAY_ENABLED',
      'toString',
      'OUTBOX_RELAY_ENABLED must be true or false, got "toString".',
    ],
    [
      'EVENT_MAX_MESSAGE_BYTES',
      '1MiB',
      'EVENT_MAX_MESSAGE_BYTES must be a positive integer, got "1MiB".',
    ],
    [
      'EVENT_TOPIC_REPLICATION_FACTOR',
      'three',
      'EVENT_TOPIC_REPLICATION_FACTOR must be a positive integer, got "three".',
    ],
    [
      'EVENT_TRACE_SAMPLE_RATE',
      '1.5',
      'EVENT_TRACE_SAMPLE_RATE must be a number from 0 to 1, got "1.5".',
    ],
    [
      'EVENT_TRACE_SAMPLE_RATE',
      '.5',
      'EVENT_TRACE_SAMPLE_RATE must be a number from 0 to 1, got ".5".',
    ],
    [
      'EVENT_TRACE_SAMPLE_RATE',
      '-0.1',
      'EVENT_TRACE_SAMPLE_RATE must be a number from 0 to 1, got "-0.1".',
    ],
    [
      'HTTP_MAX_BODY_BYTES',
      String(100 * 1024 * 1024 + 1),
      'HTTP_MAX_BODY_BYTES must be an integer from 1 to 104857600, got "104857601".',
    ],
    [
      'HTTP_MAX_BODY_BYTES',
      '0',
      'HTTP_MAX_BODY_BYTES must be an integer from 1 to 104857600, got "0".',
    ],
  ])('refuses %s=%j, naming it and what it expects', (name, value, problem) => {
    expect(problemsOf({ [name]: value })).toEqual([problem]);
  });

  it('takes an EVENT_TOPIC_PREFIX of up to 100 characters', () => {
    expect(load({ EVENT_TOPIC_PREFIX: 'x'.repeat(100) }).topicPrefix).toBe('x'.repeat(100));
    expect(problemsOf({ EVENT_TOPIC_PREFIX: 'x'.repeat(101) })).toEqual([
      `EVENT_TOPIC_PREFIX may hold letters, digits, ".", "_" and "-" only, got "${'x'.repeat(101)}".`,
    ]);
  });

  it('refuses a URL of another database without printing it (it may hold a password)', () => {
    const [problem] = problemsOf({ DATABASE_URL: 'mysql://root:s3cret@db/app' });
    expect(problem).toBe(
      'DATABASE_URL must be postgres://… or a SQLite file path, got a mysql:// URL.',
    );
  });

  it('refuses a postgres URL typed without "//" instead of opening a SQLite file named after it', () => {
    const [problem] = problemsOf({ DATABASE_URL: 'postgres:/root:s3cret@db/app' });
    expect(problem).toBe(
      'DATABASE_URL must be postgres://… or a SQLite file path, got a "postgres:" URL without "//".',
    );
    expect(load({ DATABASE_URL: './data/app.sqlite' }).database).toBeDefined();
  });

  it('lists every bad variable at once, in one error message', () => {
    let thrown: unknown;
    try {
      load({ PORT: 'abc', KAFKA_BROKERS: 'kafka', DATABASE_POOL_SIZE: 'x' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EnvironmentError);
    const { problems, message } = thrown as EnvironmentError;
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      'PORT',
      'KAFKA_BROKERS',
      'DATABASE_POOL_SIZE',
    ]);
    expect(message).toBe(`Invalid environment: ${problems.join(' ')}`);
  });
});

describe('loadServiceConfig: database limits', () => {
  it('applies the documented defaults', () => {
    expect(limitsOf({})).toEqual(DEFAULT_DATABASE_LIMITS);
  });

  it('reads every limit from its variable', () => {
    expect(
      limitsOf({
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
        DATABASE_STATEMENT_TIMEOUT_MS: '2000',
        DATABASE_QUERY_TIMEOUT_MS: '2500',
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '4000',
        DATABASE_POOL_SIZE: '3',
      }),
    ).toEqual({
      connectTimeoutMs: 1000,
      statementTimeoutMs: 2000,
      queryTimeoutMs: 2500,
      idleInTransactionTimeoutMs: 4000,
      poolSize: 3,
    });
  });

  it('keeps the query timeout one second above a changed statement timeout', () => {
    expect(limitsOf({ DATABASE_STATEMENT_TIMEOUT_MS: '20000' })?.queryTimeoutMs).toBe(21000);
  });

  it.each([
    ['DATABASE_POOL_SIZE', '1'],
    ['DATABASE_POOL_SIZE', '1000'],
    ['DATABASE_CONNECT_TIMEOUT_MS', '1'],
    ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', '2147483647'],
  ])('accepts %s=%s, at the edge of its range', (name, value) => {
    expect(() => limitsOf({ [name]: value })).not.toThrow();
  });

  it.each([
    ['DATABASE_CONNECT_TIMEOUT_MS', 'soon', '1 to 2147483647'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '0', '1 to 2147483647'],
    ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', '-5', '1 to 2147483647'],
    ['DATABASE_QUERY_TIMEOUT_MS', '1.5', '1 to 2147483647'],
    ['DATABASE_POOL_SIZE', '0', '1 to 1000'],
    ['DATABASE_POOL_SIZE', '5000', '1 to 1000'],
    ['DATABASE_CONNECT_TIMEOUT_MS', '9999999999', '1 to 2147483647'],
    ['HTTP_MAX_BODY_BYTES', 'big', '1 to 104857600'],
  ])('fails naming %s for "%s"', (name, value, range) => {
    expect(problemsOf({ DATABASE_URL: PG, [name]: value })).toEqual([
      `${name} must be an integer from ${range}, got "${value}".`,
    ]);
  });

  it('fails when the query timeout would fire before the statement timeout', () => {
    expect(
      problemsOf({ DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_QUERY_TIMEOUT_MS: '5000' }),
    ).toEqual([
      'DATABASE_QUERY_TIMEOUT_MS (5000) must be above DATABASE_STATEMENT_TIMEOUT_MS (5000): a ' +
        'reachable server must cancel a slow statement before the client gives up on the connection.',
    ]);
  });

  it('compares the query timeout with a default statement timeout too', () => {
    expect(problemsOf({ DATABASE_QUERY_TIMEOUT_MS: '4000' })[0]).toMatch(
      /^DATABASE_QUERY_TIMEOUT_MS \(4000\) must be above DATABASE_STATEMENT_TIMEOUT_MS \(5000\)/,
    );
  });

  it('checks the limits on SQLite too, so a typo does not wait for the move to PostgreSQL', () => {
    expect(problemsOf({ DATABASE_POOL_SIZE: 'x' })).toEqual([
      'DATABASE_POOL_SIZE must be an integer from 1 to 1000, got "x".',
    ]);
  });
});

describe('typeOrmOptionsFor', () => {
  it('hands every limit to pg under the names pg and pg-pool read', () => {
    const options = typeOrmOptionsFor(
      {
        type: 'postgres',
        url: PG,
        limits: {
          connectTimeoutMs: 1000,
          statementTimeoutMs: 2000,
          queryTimeoutMs: 2500,
          idleInTransactionTimeoutMs: 4000,
          poolSize: 3,
        },
      },
      [],
      [],
    );
    expect(options).toMatchObject({
      type: 'postgres',
      connectTimeoutMS: 1000, // TypeORM: pg-pool's connectionTimeoutMillis (connect and checkout)
      poolSize: 3, // TypeORM: pg-pool's max
      extra: {
        Client: BoundedPgClient,
        statement_timeout: 2000,
        query_timeout: 2500,
        idle_in_transaction_session_timeout: 4000,
      },
    });
  });

  it('bounds a PostgreSQL database configured without limits by the defaults', () => {
    expect(typeOrmOptionsFor({ type: 'postgres', url: PG }, [], [])).toMatchObject({
      connectTimeoutMS: DEFAULT_DATABASE_LIMITS.connectTimeoutMs,
      extra: { query_timeout: DEFAULT_DATABASE_LIMITS.queryTimeoutMs },
    });
  });
});
