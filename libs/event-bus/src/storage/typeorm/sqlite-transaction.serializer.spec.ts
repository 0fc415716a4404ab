import { DataSource } from 'typeorm';
import { serializeSqliteTransactions } from './sqlite-transaction.serializer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('serializeSqliteTransactions', () => {
  let ds: DataSource;

  beforeEach(async () => {
    ds = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    await ds.initialize();
    await ds.query('CREATE TABLE t (v TEXT)');
    serializeSqliteTransactions(ds);
  });

  afterEach(() => ds.destroy());

  const values = async (): Promise<string[]> =>
    ((await ds.query('SELECT v FROM t ORDER BY v')) as Array<{ v: string }>).map((r) => r.v);

  it("keeps one transaction's rollback from undoing another that ran at the same time", async () => {
    const failing = ds.transaction(async (m) => {
      await m.query("INSERT INTO t VALUES ('rolled back')");
      await sleep(30);
      throw new Error('rollback');
    });
    const committing = ds.transaction(async (m) => {
      await m.query("INSERT INTO t VALUES ('committed')");
    });
    await expect(failing).rejects.toThrow('rollback');
    await committing;
    expect(await values()).toEqual(['committed']);
  });

  it('makes work left running by an ended transaction take its turn instead of nesting in another', async () => {
    let leftover: Promise<unknown> | undefined;
    await ds.transaction(async () => {
      // Fire-and-forget work started inside a transaction that ends before it runs.
      leftover = sleep(10).then(() =>
        ds.transaction((m) => m.query("INSERT INTO t VALUES ('leftover')")),
      );
    });
    const failing = ds.transaction(async (m) => {
      await m.query("INSERT INTO t VALUES ('rolled back')");
      await sleep(40);
      throw new Error('rollback');
    });
    await expect(failing).rejects.toThrow('rollback');
    await leftover;
    expect(await values()).toEqual(['leftover']);
  });

  it('nests a transaction started inside another (same flow) instead of waiting for itself', async () => {
    await ds.transaction(async () => {
      await ds.transaction((m) => m.query("INSERT INTO t VALUES ('inner')"));
    });
    expect(await values()).toEqual(['inner']);
  });
});
