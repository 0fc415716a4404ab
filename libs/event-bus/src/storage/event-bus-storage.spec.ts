import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EventPublisher } from '../event-bus.publisher';
import { EventBusModule } from '../event-bus.module';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { storageNotAnAdapter, storagePortsMissing } from '../event-bus.messages';
import { compileTestApp } from '../__fixtures__/event-bus-test-app';
import { EventBusTestHelper } from '../../testing';
import type { EventBusStorage } from './event-bus-storage';
import { InboxStore } from './inbox.store';
import { type OutboxRow, OutboxStore } from './outbox.store';
import type { StorageTransaction } from './unit-of-work';
import { typeOrmStorage } from './typeorm/typeorm-storage';
import { TypeOrmInboxStore } from './typeorm/typeorm-inbox.store';
import { TypeOrmOutboxStore } from './typeorm/typeorm-outbox.store';

@IntegrationEvent({ type: 'storage.item' })
class Item {
  constructor(readonly n: number) {}
}

@Injectable()
class ItemHandler {
  readonly seen: number[] = [];

  @EventSubscribe(Item)
  on(event: Item): void {
    this.seen.push(event.n);
  }
}

/** An adapter's stores, standing in for another ORM's: they record what the core asks of them. */
@Injectable()
class RecordingOutboxStore extends TypeOrmOutboxStore {
  readonly inserted: string[] = [];

  override insert(tx: StorageTransaction, rows: OutboxRow[]): Promise<void> {
    this.inserted.push(...rows.map((row) => row.type));
    return super.insert(tx, rows);
  }
}

@Injectable()
class RecordingInboxStore extends TypeOrmInboxStore {
  readonly claims: string[] = [];

  // The TypeORM store's claim() is a claimMany() of one; the batch path calls claimMany().
  override claimMany(
    tx: StorageTransaction,
    eventIds: string[],
    handlerId: string,
  ): Promise<Set<string>> {
    this.claims.push(handlerId);
    return super.claimMany(tx, eventIds, handlerId);
  }
}

/** The TypeORM adapter with the outbox and inbox stores swapped, as a user's adapter would. */
function recordingStorage(): EventBusStorage {
  const swapped = new Set<unknown>([OutboxStore, InboxStore]);
  const kept = typeOrmStorage().providers.filter(
    (provider) => !swapped.has((provider as { provide?: unknown }).provide),
  );
  return {
    name: 'recording',
    providers: [
      ...kept,
      { provide: OutboxStore, useClass: RecordingOutboxStore },
      { provide: InboxStore, useClass: RecordingInboxStore },
    ],
  };
}

describe('the storage option', () => {
  let app: TestingModule | undefined;
  afterEach(() => app?.close());

  it('runs the bus on the adapter it is given: publish and handle go through its stores', async () => {
    app = await compileTestApp({ providers: [ItemHandler], bus: { storage: recordingStorage() } });
    await app.init();

    await app.get(EventPublisher).publish(new Item(7), { newTransaction: true });
    await app.get(EventBusTestHelper).waitForHandled(Item);

    expect(app.get(ItemHandler).seen).toEqual([7]);
    expect((app.get(OutboxStore) as RecordingOutboxStore).inserted).toEqual(['storage.item']);
    expect((app.get(InboxStore) as RecordingInboxStore).claims).toEqual(['ItemHandler.on']);
  });

  it('fails startup naming each port an adapter leaves out', async () => {
    const partial: EventBusStorage = {
      name: 'half-done',
      providers: typeOrmStorage().providers.filter(
        (provider) =>
          ![OutboxStore, InboxStore].includes((provider as { provide?: never }).provide!),
      ),
    };

    const failure = compileTestApp({ bus: { storage: partial } });

    await expect(failure).rejects.toThrow(EventBusConfigurationError);
    await expect(failure).rejects.toThrow(
      storagePortsMissing('half-done', ['OutboxStore', 'InboxStore']),
    );
    // forRootAsync takes it beside useFactory, and checks it as the module is built.
    expect(() =>
      EventBusModule.forRootAsync({ useFactory: () => ({ serviceId: 's' }), storage: partial }),
    ).toThrow(storagePortsMissing('half-done', ['OutboxStore', 'InboxStore']));
  });

  it('refuses a value that is not an adapter', async () => {
    const failure = compileTestApp({
      bus: { storage: { name: 'x' } as unknown as EventBusStorage },
    });

    await expect(failure).rejects.toThrow(storageNotAnAdapter());
  });
});
