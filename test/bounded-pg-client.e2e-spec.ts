import { Pool, PoolClient } from 'pg';
import { BoundedPgClient } from '@nestbus/service-config';
import { createTestDatabase, TestDatabase } from './support/databases';
import { TcpProxy } from './support/tcp-proxy';

/**
 * A connection whose query hit the client-side timeout while the database was black-holed must
 * not go back to the pool: on it, the next query would wait out the timeout again although the
 * database is back.
 */
describe('BoundedPgClient (PostgreSQL through a black-holing proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    const target = new URL(db.url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
  });

  afterAll(async () => {
    await proxy.close();
    await db.drop();
  });

  const pool = (Client?: typeof BoundedPgClient): Pool =>
    new Pool({
      connectionString: proxy.rewrite(db.url),
      max: 1,
      query_timeout: 500,
      connectionTimeoutMillis: 2000,
      ...(Client ? { Client } : {}),
    });

  /** Runs one query on a pooled client and gives it back unharmed, as TypeORM's runners do. */
  const onPooledClient = async <T>(subject: Pool, work: (c: PoolClient) => Promise<T>) => {
    const client = await subject.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  };

  /** Loses one query's answer in a black hole, then asks again once the database is reachable. */
  const afterBlackHole = async (subject: Pool): Promise<string> => {
    try {
      await onPooledClient(subject, async (client) => {
        await client.query('SELECT 1');
        // The query reaches the server; its answer is lost in the black hole.
        const lost = client.query('SELECT pg_sleep(0.2)');
        await new Promise((r) => setTimeout(r, 50));
        proxy.set('blackhole');
        await expect(lost).rejects.toThrow('Query read timeout');
      });
      proxy.set('forward');
      const { rows } = await onPooledClient(subject, (client) =>
        client.query<{ answer: string }>("SELECT 'back' AS answer"),
      );
      return rows[0].answer;
    } catch (error) {
      return (error as Error).message;
    } finally {
      proxy.set('forward');
      await subject.end().catch(() => undefined);
    }
  };

  it('answers on a fresh connection once the database is back', async () => {
    expect(await afterBlackHole(pool(BoundedPgClient))).toBe('back');
  });

  it("is needed: pg's own client keeps the dead connection and times out again", async () => {
    expect(await afterBlackHole(pool())).toBe('Query read timeout');
  });
});
