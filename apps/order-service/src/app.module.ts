import { DynamicModule, Module } from '@nestjs/common';
import { InMemoryBroker } from '@nestbus/event-bus';
import { serviceModules, validationPipeProvider } from '@nestbus/service-config';
import { OrderServiceConfig } from './config';
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
        ...serviceModules({
          config: options,
          broker: options.broker,
          entities: [UserProfile],
          migrations: [CreateUserProfiles1764300000000],
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
