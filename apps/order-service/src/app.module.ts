import { DynamicModule, Module } from '@nestjs/common';
import { InMemoryBroker } from '@nestbus/event-bus';
import {
  ServiceConfigModule,
  serviceModules,
  validationPipeProvider,
} from '@nestbus/service-config';
import { ORDER_SERVICE_SCHEMA, OrderServiceConfig } from './config';
import { UserProfile } from './profiles/user-profile.entity';
import { ProfilesModule } from './profiles/profiles.module';
import { CreateUserProfiles1764300000000 } from './migrations/1764300000000-create-user-profiles';
import { AddProfileDisplayNames1765200000000 } from './migrations/1765200000000-add-profile-display-names';

export interface OrderServiceModuleOptions extends OrderServiceConfig {
  /** Share a broker with other applications of this process (demo, tests). */
  broker?: InMemoryBroker;
}

@Module({})
export class AppModule {
  /** With settings made already (tests, the demo). */
  static forRoot(options: OrderServiceModuleOptions): DynamicModule {
    const { broker, ...config } = options;
    return AppModule.withConfig(ServiceConfigModule.forConfig(config), broker);
  }

  /** With the process environment, validated by @nestjs/config; rejects naming each bad variable. */
  static async forEnvironment(): Promise<DynamicModule> {
    return AppModule.withConfig(await ServiceConfigModule.forEnvironment(ORDER_SERVICE_SCHEMA));
  }

  private static withConfig(config: DynamicModule, broker?: InMemoryBroker): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...serviceModules({
          config,
          broker,
          entities: [UserProfile],
          migrations: [CreateUserProfiles1764300000000, AddProfileDisplayNames1765200000000],
        }),
        // No ClsModule / @Transactional() here: the projector writes through ctx.manager. Adding
        // the transactional plugin to a second app of one process hijacks the first's
        // @Transactional() (its TransactionHost lookup is process-wide).
        ProfilesModule,
      ],
      providers: [validationPipeProvider()],
    };
  }
}
