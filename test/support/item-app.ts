import { Injectable, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional, Transactional, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import {
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  EventBusModuleOptions,
  EventPublisher,
  InMemoryBroker,
} from '@nestbus/event-bus';
import { EventBusTestHelper, EventBusTestingModule } from '@nestbus/event-bus/testing';
import {
  Applied,
  CreateItemTables1764200000001,
  HandlerBehaviour,
  Item,
  ItemCreated,
  ItemFixtureModule,
} from './item-events.fixture';
import type { TestDatabase } from './databases';

/** Business code that writes an item and publishes in one ambient transaction. */
@Injectable()
export class ItemService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly events: EventPublisher,
  ) {}

  @Transactional()
  async create(
    itemKey: string,
    seq: number,
    options: { failAfterPublish?: boolean } = {},
  ): Promise<void> {
    await this.txHost.tx.insert(Item, { id: `${itemKey}#${seq}` });
    await this.events.publish(ItemCreated.of(itemKey, seq));
    if (options.failAfterPublish) throw new Error('business rule failed after publishing');
  }
}

@Module({ providers: [ItemService], exports: [ItemService] })
class ItemServiceModule {}

export interface ItemApp {
  module: TestingModule;
  helper: EventBusTestHelper;
  items: ItemService;
  dataSource: DataSource;
  close(): Promise<void>;
}

/** Boots the item fixture with the real module stack on the given database and broker. */
export async function bootItemApp(
  db: TestDatabase,
  broker: InMemoryBroker,
  behaviour: HandlerBehaviour,
  options: Partial<EventBusModuleOptions> = {},
): Promise<ItemApp> {
  const entities = [...EVENT_BUS_ENTITIES, Item, Applied];
  const migrations = [...EVENT_BUS_MIGRATIONS, CreateItemTables1764200000001];
  const typeorm =
    db.kind === 'sqlite'
      ? TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: db.url,
          entities,
          migrations,
          migrationsRun: true,
        })
      : TypeOrmModule.forRoot({
          type: 'postgres',
          url: db.url,
          entities,
          migrations,
          migrationsRun: true,
        });
  const module = await Test.createTestingModule({
    imports: [
      typeorm,
      ClsModule.forRoot({
        global: true,
        plugins: [
          new ClsPluginTransactional({
            imports: [TypeOrmModule],
            adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
          }),
        ],
      }),
      EventBusTestingModule.forRoot({ serviceId: 'item-service', broker, ...options }),
      ItemFixtureModule.with(behaviour),
      ItemServiceModule,
    ],
  }).compile();
  module.useLogger(false);
  await module.init();
  return {
    module,
    helper: module.get(EventBusTestHelper),
    items: module.get(ItemService),
    dataSource: module.get(DataSource),
    close: () => module.close(),
  };
}
