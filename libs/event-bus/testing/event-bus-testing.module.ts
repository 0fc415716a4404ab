import { DynamicModule, Module } from '@nestjs/common';
import { EventBusModule } from '../src/event-bus.module';
import type { EventBusModuleOptions } from '../src/interfaces/event-bus-options.interface';
import { InMemoryBroker } from '../src/transports/in-memory/in-memory-broker';
import type { EventBusStorage } from '../src/storage/event-bus-storage';
import { EventBusTestHelper } from './event-bus-test.helper';

/** Options of the testing module: those of `forRoot`, all optional. */
export type EventBusTestingOptions = Partial<EventBusModuleOptions> & {
  /** Share a broker between test apps; a fresh one by default. */
  broker?: InMemoryBroker;
  /** The storage adapter under test; TypeORM by default, as in `forRoot`. */
  storage?: EventBusStorage;
};

/**
 * What the testing module sets where the options say nothing, over `forRoot`'s own defaults:
 * tests wait milliseconds for a poll or a retry, and a restart re-sends nothing.
 */
export const EVENT_BUS_TESTING_DEFAULTS = {
  serviceId: 'test-service',
  outbox: { pollIntervalMs: 50, redeliverOnStartupMs: 0 },
  consumer: { retry: { initialMs: 5, maxMs: 50 } },
  shutdownTimeoutMs: 5000,
} as const;

/**
 * The event bus for tests: a fresh in-memory broker, fast retries and polls, and the
 * `EventBusTestHelper`. Your TypeORM DataSource (SQLite `:memory:` works) holds the tables.
 *
 * Where the options say nothing it sets `serviceId: 'test-service'`, `outbox.pollIntervalMs: 50`,
 * `outbox.redeliverOnStartupMs: 0`, `consumer.retry` `{ initialMs: 5, maxMs: 50 }` and
 * `shutdownTimeoutMs: 5000`; every other option keeps the default of `EventBusModule.forRoot`.
 * Quiet the bus's logs with Nest's own `Test.createTestingModule(...).setLogger(...)`.
 *
 * @example
 * Test.createTestingModule({ imports: [TypeOrmModule.forRoot({ ... }), EventBusTestingModule.forRoot(), MyModule] })
 */
@Module({})
export class EventBusTestingModule {
  static forRoot(options: EventBusTestingOptions = {}): DynamicModule {
    const { broker, ...rest } = options;
    const defaults = EVENT_BUS_TESTING_DEFAULTS;
    return {
      module: EventBusTestingModule,
      global: true,
      imports: [
        EventBusModule.forRoot({
          serviceId: defaults.serviceId,
          ...rest,
          transport: rest.transport ?? {
            type: 'in-memory',
            broker: broker ?? new InMemoryBroker(),
          },
          outbox: { ...defaults.outbox, ...rest.outbox },
          consumer: {
            ...rest.consumer,
            retry: { ...defaults.consumer.retry, ...rest.consumer?.retry },
          },
          shutdownTimeoutMs: rest.shutdownTimeoutMs ?? defaults.shutdownTimeoutMs,
        }),
      ],
      providers: [EventBusTestHelper],
      exports: [EventBusTestHelper],
    };
  }
}
