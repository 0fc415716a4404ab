import { EVENT_BUS_ENTITIES, EventBusModule, EventPublisher } from '@nestbus/event-bus';
import { EventBusTestHelper, EventBusTestingModule } from '@nestbus/event-bus/testing';
import { InMemoryTransport, type EventTransport } from '@nestbus/event-bus/transport';
import { KafkaTransport } from '@nestbus/event-bus/kafka';
import { OutboxStore, resolveEventBusOptions } from '@nestbus/event-bus/operations';
import { typeOrmStorage, UnitOfWork } from '@nestbus/event-bus/storage';
import { assertResolvedInside } from './resolved-inside';

/**
 * Every public entry point resolves (its types at compile time under this tsconfig's module
 * resolution, its code at run time through `exports`), and nothing else of the package does.
 */
function main(): void {
  const transportType: (new (...args: never[]) => EventTransport) | undefined = InMemoryTransport;
  const values: Record<string, unknown> = {
    EventBusModule,
    EventPublisher,
    EventBusTestingModule,
    EventBusTestHelper,
    InMemoryTransport: transportType,
    KafkaTransport,
    OutboxStore,
    resolveEventBusOptions,
    typeOrmStorage,
    UnitOfWork,
  };
  const missing = Object.entries(values)
    .filter(([, value]) => typeof value !== 'function')
    .map(([name]) => name);
  if (missing.length > 0 || EVENT_BUS_ENTITIES.length === 0) {
    throw new Error(
      `entry points export nothing for: ${missing.join(', ') || 'EVENT_BUS_ENTITIES'}`,
    );
  }
  let deepImport: unknown;
  try {
    deepImport = require.resolve('@nestbus/event-bus/dist/src/index.js');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
  }
  if (deepImport) throw new Error(`a deep import resolved past "exports": ${String(deepImport)}`);
  const count = assertResolvedInside([
    '@nestbus/event-bus',
    '@nestbus/event-bus/testing',
    '@nestbus/event-bus/transport',
    '@nestbus/event-bus/kafka',
    '@nestbus/event-bus/operations',
    '@nestbus/event-bus/storage',
    '@nestbus/event-bus/package.json',
  ]);
  console.log(`6 entry points load; all ${count} loaded modules resolved inside the app's folder`);
}

try {
  main();
} catch (error) {
  console.error(`entry-points: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
