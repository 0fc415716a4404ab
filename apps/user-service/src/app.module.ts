import { DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { InMemoryBroker } from '@nestbus/event-bus';
import {
  ServiceConfigModule,
  serviceModules,
  validationPipeProvider,
} from '@nestbus/service-config';
import { USER_SERVICE_SCHEMA, UserServiceConfig } from './config';
import { User } from './users/user.entity';
import { UsersModule } from './users/users.module';
import { CreateUsers1764300000000 } from './migrations/1764300000000-create-users';
import { NormaliseUserEmails1764900000000 } from './migrations/1764900000000-normalise-user-emails';
import { AddUserDisplayNames1765200000000 } from './migrations/1765200000000-add-user-display-names';

export interface UserServiceModuleOptions extends UserServiceConfig {
  /** Share a broker with other applications of this process (demo, tests). */
  broker?: InMemoryBroker;
}

@Module({})
export class AppModule {
  /** With settings made already (tests, the demo). */
  static forRoot(options: UserServiceModuleOptions): DynamicModule {
    const { broker, ...config } = options;
    return AppModule.withConfig(ServiceConfigModule.forConfig(config), broker);
  }

  /** With the process environment, validated by @nestjs/config; rejects naming each bad variable. */
  static async forEnvironment(): Promise<DynamicModule> {
    return AppModule.withConfig(await ServiceConfigModule.forEnvironment(USER_SERVICE_SCHEMA));
  }

  private static withConfig(config: DynamicModule, broker?: InMemoryBroker): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...serviceModules({
          config,
          broker,
          entities: [User],
          migrations: [
            CreateUsers1764300000000,
            NormaliseUserEmails1764900000000,
            AddUserDisplayNames1765200000000,
          ],
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
        UsersModule,
      ],
      providers: [validationPipeProvider()],
    };
  }
}
