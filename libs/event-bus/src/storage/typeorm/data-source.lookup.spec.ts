import type { DynamicModule } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { RecordingLogger } from '../../__fixtures__/event-bus-test-app';
import { EventBusConfigurationError } from '../../errors/event-bus-configuration.error';
import { EVENT_BUS_ENTITIES } from '../../event-bus.entities';
import { dataSourceNotFound } from '../../event-bus.messages';
import { EventBusModule } from '../../event-bus.module';
import { InMemoryBroker } from '../../transports/in-memory/in-memory-broker';

function sqlite(name?: string): DynamicModule {
  return TypeOrmModule.forRoot({
    name,
    type: 'better-sqlite3',
    database: ':memory:',
    entities: EVENT_BUS_ENTITIES,
    synchronize: true,
  });
}

const transport = () => ({ type: 'in-memory' as const, broker: new InMemoryBroker() });

/** Starts an app of `imports` and returns the error its startup failed with. */
async function startupError(
  imports: DynamicModule[],
  dataSources: Array<string | undefined> = [],
): Promise<unknown> {
  const app: TestingModule = await Test.createTestingModule({ imports })
    .setLogger(new RecordingLogger())
    .compile();
  const error = await app.init().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) {
    await app.close();
  } else {
    // After a failed init() only the DataSources it opened need closing.
    for (const name of dataSources) await app.get<DataSource>(getDataSourceToken(name)).destroy();
  }
  return error;
}

describe('the DataSource the bus looks for', () => {
  it('fails startup saying what to import when the application has no TypeORM DataSource', async () => {
    const error = await startupError([
      EventBusModule.forRoot({ serviceId: 'svc', transport: transport() }),
    ]);

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toBe(dataSourceNotFound(undefined, []));
    expect((error as Error).message).toBe(
      'The event bus found no TypeORM DataSource: the option "dataSource" is not set, so it looked for the default DataSource. ' +
        'Import TypeOrmModule.forRoot({ ... }) (or forRootAsync) in your application module and add EVENT_BUS_ENTITIES to its "entities".',
    );
  });

  it('fails startup naming the DataSource when "dataSource" names one the application lacks', async () => {
    const error = await startupError(
      [
        sqlite(),
        EventBusModule.forRoot({ serviceId: 'svc', dataSource: 'nope', transport: transport() }),
      ],
      [undefined],
    );

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toBe(
      'The event bus found no TypeORM DataSource: the option "dataSource" is "nope", so it looked for the DataSource named "nope". ' +
        `Import TypeOrmModule.forRoot({ name: 'nope', ... }) (or forRootAsync) in your application module and add EVENT_BUS_ENTITIES to its "entities". ` +
        'Or point "dataSource" at one the application has: the default DataSource (leave "dataSource" unset).',
    );
  });

  it('names the DataSources the application has when the default one is missing', async () => {
    const error = await startupError(
      [sqlite('orders'), EventBusModule.forRoot({ serviceId: 'svc', transport: transport() })],
      ['orders'],
    );

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toContain('looked for the default DataSource');
    expect((error as Error).message).toContain(
      'Or point "dataSource" at one the application has: "orders".',
    );
  });

  it('fails the same way when the options come from forRootAsync', async () => {
    const error = await startupError(
      [
        sqlite(),
        EventBusModule.forRootAsync({
          useFactory: () => ({ serviceId: 'svc', dataSource: 'nope', transport: transport() }),
        }),
      ],
      [undefined],
    );

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toBe(dataSourceNotFound('nope', ['default']));
  });

  it('treats "default" as the default DataSource, as TypeORM does', async () => {
    const error = await startupError(
      [
        sqlite(),
        EventBusModule.forRoot({ serviceId: 'svc', dataSource: 'default', transport: transport() }),
      ],
      [undefined],
    );

    expect(error).toBeUndefined();
  });

  it('starts on a named DataSource that exists', async () => {
    const error = await startupError(
      [
        sqlite('orders'),
        EventBusModule.forRoot({ serviceId: 'svc', dataSource: 'orders', transport: transport() }),
      ],
      ['orders'],
    );

    expect(error).toBeUndefined();
  });
});
