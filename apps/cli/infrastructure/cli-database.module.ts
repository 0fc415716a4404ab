import { EventBusModule, EventBusModuleOptions } from '@nestbus/event-bus';
import { OutboxInspector, DeadLetterReplayService } from '@nestbus/event-bus/operations';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/**
 * The event bus on an already opened DataSource, for commands that work on the database. The
 * bus runs with its relay and consumers off and the in-memory transport: a command never sends,
 * consumes, or touches Kafka through it.
 */
@Module({})
export class CliDatabaseModule {
  static forRoot(dataSource: DataSource, bus: EventBusModuleOptions): DynamicModule {
    return {
      module: CliDatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...(dataSource.options as TypeOrmModuleOptions), retryAttempts: 0 }),
          dataSourceFactory: async () => dataSource,
        }),
        EventBusModule.forRoot(bus),
      ],
      providers: [OutboxInspector, DeadLetterReplayService],
    };
  }
}
