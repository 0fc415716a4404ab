import type { Provider } from '@nestjs/common';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { storageNotAnAdapter, storagePortsMissing } from '../event-bus.messages';
import { UnitOfWork } from './unit-of-work';
import { OutboxStore } from './outbox.store';
import { InboxStore } from './inbox.store';
import { ParkedDeadLetterStore } from './parked-dead-letter.store';
import { EventTraceStore } from './event-trace.store';

/**
 * A storage adapter as `EventBusModule.forRoot({ storage })` takes it: Nest providers for each
 * port in `STORAGE_PORTS`, each provided under the port's abstract class.
 *
 * @example
 * const storage: EventBusStorage = {
 *   name: 'mikro-orm',
 *   providers: [{ provide: OutboxStore, useClass: MikroOrmOutboxStore }, ...],
 * };
 */
export interface EventBusStorage {
  /** Named in messages and logs ("typeorm"). */
  readonly name: string;
  readonly providers: Provider[];
}

/** The ports a storage adapter provides, by the token each is injected as. */
export const STORAGE_PORTS = [
  UnitOfWork,
  OutboxStore,
  InboxStore,
  ParkedDeadLetterStore,
  EventTraceStore,
] as const;

/**
 * The adapter's providers, once each port is among them: a missing one fails startup here,
 * naming it, rather than as Nest's "can't resolve dependencies" deep inside the bus.
 */
export function storageProviders(storage: EventBusStorage): Provider[] {
  if (!storage || typeof storage.name !== 'string' || !Array.isArray(storage.providers)) {
    throw new EventBusConfigurationError(storageNotAnAdapter());
  }
  const provided = new Set(
    storage.providers.map((provider) =>
      typeof provider === 'function' ? provider : (provider as { provide: unknown }).provide,
    ),
  );
  const missing = STORAGE_PORTS.filter((port) => !provided.has(port)).map((port) => port.name);
  if (missing.length > 0) {
    throw new EventBusConfigurationError(storagePortsMissing(storage.name, missing));
  }
  return storage.providers;
}
