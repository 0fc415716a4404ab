import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import {
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  EventBusModule,
  InMemoryBroker,
} from '@app/event-bus';
import { DatabaseConfig, UserServiceConfig } from './config';
import { User } from './users/user.entity';
import { UsersModule } from './users/users.module';
import { CreateUsers1764300000000 } from './migrations/1764300000000-create-users';

export interface UserServiceModuleOptions extends UserServiceConfig {
  /** Share a broker with other applications of this process (demo, tests). */
  broker?: InMemoryBroker;
}

@Module({})
export class AppModule {
  static forRoot(options: UserServiceModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // forRootAsync: forRoot's process-wide name check warns about the other app's data source
        // when the demo or a test runs both services in one process.
        TypeOrmModule.forRootAsync({ useFactory: () => typeOrmOptions(options.database) }),
        ClsModule.forRoot({
          global: true,
          middleware: { mount: true },
          plugins: [
            new ClsPluginTransactional({
              imports: [TypeOrmModule],
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
            }),
          ],
        }),
        EventBusModule.forRoot({
          serviceId: options.serviceId,
          transport: options.kafkaBrokers
            ? { type: 'kafka', brokers: options.kafkaBrokers }
            : { type: 'in-memory', broker: options.broker },
        }),
        UsersModule,
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
  const entities = [User, ...EVENT_BUS_ENTITIES];
  if (database.type === 'postgres') {
    return {
      type: 'postgres',
      url: database.url,
      entities,
      migrations: [CreateUsers1764300000000, ...EVENT_BUS_MIGRATIONS],
      migrationsRun: true,
      synchronize: false,
    };
  }
  return { type: 'better-sqlite3', database: database.path, entities, synchronize: true };
}
