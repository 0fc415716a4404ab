import { EventPublisher, InMemoryBroker } from '@nestbus/event-bus';
import { OutboxMessage } from '@nestbus/event-bus/operations';
import { createTestDatabase, eventually, pgNumber, TestDatabase } from './support/databases';
import { Applied, ItemCreated, newBehaviour } from './support/item-events.fixture';
import { bootItemApp, ItemApp } from './support/item-app';

/** Far beyond every wait below: a delivery can only come from a notification. */
const NO_POLL_MS = 10 * 60 * 1000;
const DELIVERY_MS = 30_000;
/** The relay's LISTEN connection shows as "[<applicationName> (]event-bus outbox listener[)]". */
const LISTENER = `application_name LIKE '%event-bus outbox listener%'`;

/**
 * Two instances on one PostgreSQL database: A publishes with its relay off, B relays (its poll
 * set to 10 minutes) and consumes. A's commits reach B through LISTEN/NOTIFY, also after B's
 * listening connection was killed.
 */
describe('cross-instance outbox wake-up (PostgreSQL LISTEN/NOTIFY)', () => {
  let db: TestDatabase;
  let apps: ItemApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
  });

  afterEach(async () => {
    for (const app of apps.reverse()) await app.close();
    apps = [];
  });

  afterAll(async () => {
    await db?.drop();
  });

  /**
   * B first: it runs the migrations and listens before A publishes. A last, also because
   * `@Transactional()` (`a.items.create`) takes the process's last TransactionHost.
   */
  async function bootPair(publisherOutbox: { notify?: boolean } = {}): Promise<{
    a: ItemApp;
    b: ItemApp;
  }> {
    const broker = new InMemoryBroker();
    const b = await bootItemApp(db, broker, newBehaviour(), {
      outbox: { pollIntervalMs: NO_POLL_MS },
    });
    apps.push(b);
    const a = await bootItemApp(db, broker, newBehaviour(), {
      outbox: { enabled: false, ...publisherOutbox },
      consumer: { enabled: false },
    });
    apps.push(a);
    return { a, b };
  }

  const applied = (app: ItemApp, itemKey: string): Promise<number> =>
    app.dataSource.getRepository(Applied).countBy({ itemKey });

  const delivered = (app: ItemApp, itemKey: string): Promise<void> =>
    eventually(
      async () => (await applied(app, itemKey)) === 1,
      `${itemKey} handled by instance B`,
      DELIVERY_MS,
    );

  /** The pid of B's listening connection, or 0 while there is none. */
  const listenerPid = (): Promise<number> =>
    pgNumber(
      db,
      `SELECT COALESCE(MAX(pid), 0) AS n FROM pg_stat_activity
        WHERE datname = current_database()
          AND ${LISTENER} AND query LIKE 'LISTEN%'`,
    );

  it('delivers a commit of the publishing instance through the relaying one at once, not at its poll', async () => {
    const { a, b } = await bootPair();
    expect(await listenerPid()).toBeGreaterThan(0);

    await a.items.create('notified', 1);

    await delivered(b, 'notified');
  });

  it('listens again after its connection is killed, and relays what was committed meanwhile', async () => {
    const { a, b } = await bootPair();
    const before = await listenerPid();
    expect(before).toBeGreaterThan(0);

    await pgNumber(
      db,
      `SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND ${LISTENER}`,
    );
    // Committed while B cannot hear it: the wake-up after reconnecting finds it.
    await a.items.create('while-away', 1);
    await delivered(b, 'while-away');

    let after = 0;
    await eventually(
      async () => {
        after = await listenerPid();
        return after > 0 && after !== before;
      },
      'a new LISTEN connection',
      DELIVERY_MS,
    );
    await a.items.create('after-reconnect', 1);
    await delivered(b, 'after-reconnect');
  });

  it('with outbox.notify off on the publisher, leaves the commit to the poll', async () => {
    const { a, b } = await bootPair({ notify: false });

    await a.items.create('silent', 1);
    await new Promise((r) => setTimeout(r, 2000));

    expect(await applied(b, 'silent')).toBe(0);
    expect(
      await b.dataSource.getRepository(OutboxMessage).countBy({ status: 'pending' }),
    ).toBeGreaterThan(0);
    // The row was due all along: B's next wake-up (here its own commit) delivers it. With
    // `{ manager }`: `@Transactional()` resolves the process's last TransactionHost, A's.
    await b.dataSource.transaction((manager) =>
      b.module.get(EventPublisher).publish(ItemCreated.of('own-commit', 1), { manager }),
    );
    await delivered(b, 'own-commit');
    await delivered(b, 'silent');
  });
});
