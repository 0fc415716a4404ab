import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import {
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  EventBusModule,
  InMemoryBroker,
} from '@app/event-bus';
import { DatabaseConfig, OrderServiceConfig } from './config';
import { UserProfile } from './profiles/user-profile.entity';
import { ProfilesModule } from './profiles/profiles.module';
import { CreateUserProfiles1764300000000 } from './migrations/1764300000000-create-user-profiles';

export interface OrderServiceModuleOptions extends OrderServiceConfig {
  /** Share a broker with other applications of this process (demo, tests). */
  broker?: InMemoryBroker;
}

@Module({})
export class AppModule {
  static forRoot(options: OrderServiceModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // forRootAsync: forRoot's process-wide name check warns about the other app's data source
        // when the demo or a test runs both services in one process.
        TypeOrmModule.forRootAsync({ useFactory: () => typeOrmOptions(options.database) }),
        // No ClsModule / @Transactional() here: the projector writes through ctx.manager. Adding
        // the transactional plugin to a second app of one process hijacks the first's
        // @Transactional() (its TransactionHost lookup is process-wide).
        EventBusModule.forRoot({
          serviceId: options.serviceId,
          transport: options.kafkaBrokers
            ? { type: 'kafka', brokers: options.kafkaBrokers }
            : { type: 'in-memory', broker: options.broker },
        }),
        ProfilesModule,
      ],
      providers: [
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
          }),
        },
      ],
    };
  }
}

function typeOrmOptions(database: DatabaseConfig): TypeOrmModuleOptions {
  const entities = [UserProfile, ...EVENT_BUS_ENTITIES];
  if (database.type === 'postgres') {
    return {
      type: 'postgres',
      url: database.url,
      entities,
      migrations: [CreateUserProfiles1764300000000, ...EVENT_BUS_MIGRATIONS],
      migrationsRun: true,
      synchronize: false,
    };
  }
  return { type: 'better-sqlite3', database: database.path, entities, synchronize: true };
}
