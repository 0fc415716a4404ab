import { DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { EventBusModule, InMemoryBroker } from '@app/event-bus';
import {
  eventBusOptionsFor,
  ServiceHealthModule,
  ServiceObservabilityModule,
  typeOrmOptionsFor,
  validationPipeProvider,
} from '@app/service-config';
import { UserServiceConfig } from './config';
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
        TypeOrmModule.forRootAsync({
          useFactory: () => typeOrmOptionsFor(options.database, [User], [CreateUsers1764300000000]),
        }),
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
        EventBusModule.forRoot(eventBusOptionsFor(options, options.broker)),
        UsersModule.register({ scryptCost: options.scryptCost }),
        ServiceHealthModule,
        ServiceObservabilityModule,
      ],
      providers: [validationPipeProvider()],
    };
  }
}
