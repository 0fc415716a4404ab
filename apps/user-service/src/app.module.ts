import { DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { InMemoryBroker } from '@nestbus/event-bus';
import { serviceModules, validationPipeProvider } from '@nestbus/service-config';
import { UserServiceConfig } from './config';
import { User } from './users/user.entity';
import { UsersModule } from './users/users.module';
import { CreateUsers1764300000000 } from './migrations/1764300000000-create-users';
import { NormaliseUserEmails1764900000000 } from './migrations/1764900000000-normalise-user-emails';

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
        ...serviceModules({
          config: options,
          broker: options.broker,
          entities: [User],
          migrations: [CreateUsers1764300000000, NormaliseUserEmails1764900000000],
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
        UsersModule.register({ scryptCost: options.scryptCost }),
      ],
      providers: [validationPipeProvider()],
    };
  }
}
