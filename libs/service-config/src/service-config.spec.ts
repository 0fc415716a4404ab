import { DEFAULT_DATABASE_LIMITS, loadServiceConfig, typeOrmOptionsFor } from './service-config';
import { BoundedPgClient } from './bounded-pg-client';

const DEFAULTS = { port: 3001, serviceId: 'svc', sqlitePath: './svc.sqlite' };
const PG = 'postgres://postgres@127.0.0.1:5432/db';

const limitsOf = (env: NodeJS.ProcessEnv) => {
  const { database } = loadServiceConfig({ DATABASE_URL: PG, ...env }, DEFAULTS);
  if (database.type !== 'postgres') throw new Error('expected postgres');
  return database.limits;
};

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
    ['DATABASE_CONNECT_TIMEOUT_MS', 'soon'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '0'],
    ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', '-5'],
    ['DATABASE_QUERY_TIMEOUT_MS', '1.5'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_POOL_SIZE', '5000'],
    ['DATABASE_CONNECT_TIMEOUT_MS', '9999999999'],
    ['HTTP_MAX_BODY_BYTES', 'big'],
  ])('fails naming %s for "%s"', (name, value) => {
    expect(() => limitsOf({ [name]: value })).toThrow(new RegExp(`^${name} must be`));
  });

  it('fails when the query timeout would fire before the statement timeout', () => {
    expect(() =>
      limitsOf({ DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_QUERY_TIMEOUT_MS: '5000' }),
    ).toThrow(/DATABASE_QUERY_TIMEOUT_MS \(5000\) must be above DATABASE_STATEMENT_TIMEOUT_MS/);
  });

  it('checks the limits on SQLite too, so a typo does not wait for the move to PostgreSQL', () => {
    expect(() => loadServiceConfig({ DATABASE_POOL_SIZE: 'x' }, DEFAULTS)).toThrow(
      /DATABASE_POOL_SIZE/,
    );
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
