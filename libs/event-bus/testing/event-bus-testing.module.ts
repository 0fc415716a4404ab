import { DynamicModule, Module } from '@nestjs/common';
import { EventBusModule } from '../src/event-bus.module';
import type { EventBusModuleOptions } from '../src/interfaces/event-bus-options.interface';
import { InMemoryBroker } from '../src/transports/in-memory/in-memory-broker';
import { EventBusTestHelper } from './event-bus-test.helper';

/** Options of the testing module: those of `forRoot`, all optional. */
export type EventBusTestingOptions = Partial<EventBusModuleOptions> & {
  /** Share a broker between test apps; a fresh one by default. */
  broker?: InMemoryBroker;
};

/**
 * The event bus for tests: a fresh in-memory broker, fast retries and polls, and the
 * `EventBusTestHelper`. Your TypeORM DataSource (SQLite `:memory:` works) holds the tables.
 *
 * @example
 * Test.createTestingModule({ imports: [TypeOrmModule.forRoot({ ... }), EventBusTestingModule.forRoot(), MyModule] })
 */
@Module({})
export class EventBusTestingModule {
  static forRoot(options: EventBusTestingOptions = {}): DynamicModule {
    const { broker, ...rest } = options;
    return {
      module: EventBusTestingModule,
      global: true,
      imports: [
        EventBusModule.forRoot({
          serviceId: 'test-service',
          ...rest,
          transport: rest.transport ?? {
            type: 'in-memory',
            broker: broker ?? new InMemoryBroker(),
          },
          outbox: { pollIntervalMs: 50, redeliverOnStartupMs: 0, ...rest.outbox },
          consumer: {
            ...rest.consumer,
            retry: { initialMs: 5, maxMs: 50, ...rest.consumer?.retry },
          },
          shutdownTimeoutMs: rest.shutdownTimeoutMs ?? 5000,
        }),
      ],
      providers: [EventBusTestHelper],
      exports: [EventBusTestHelper],
    };
  }
}
