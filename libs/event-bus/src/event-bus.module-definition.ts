import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EventBusModuleOptions } from './interfaces/event-bus-options.interface';
import { type EventBusStorage, STORAGE_PORTS, storageProviders } from './storage/event-bus-storage';
import { typeOrmStorage } from './storage/typeorm/typeorm-storage';

/**
 * Options that shape the module itself rather than configure it, so they sit beside
 * `useFactory` in `forRootAsync()` too: known when the module is built, before any factory runs.
 */
export interface EventBusModuleExtras {
  /** Register the bus globally (the default), so feature modules inject its providers. */
  isGlobal: boolean;
  /** The storage adapter; `typeOrmStorage()` when left out. */
  storage?: EventBusStorage;
}

export const {
  ConfigurableModuleClass: EventBusConfigurableModule,
  MODULE_OPTIONS_TOKEN: EVENT_BUS_MODULE_OPTIONS,
  OPTIONS_TYPE: EVENT_BUS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: EVENT_BUS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<EventBusModuleOptions>({ moduleName: 'EventBus' })
  .setClassMethodName('forRoot')
  .setExtras<EventBusModuleExtras>(
    { isGlobal: true, storage: undefined },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      providers: [
        ...(definition.providers ?? []),
        ...storageProviders(extras.storage ?? typeOrmStorage()),
      ],
      exports: [...(definition.exports ?? []), ...STORAGE_PORTS],
    }),
  )
  .build();
