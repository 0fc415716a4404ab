import { DynamicModule, Module } from '@nestjs/common';
import { EventBusModule } from '@nestbus/event-bus';
import { UserRegistered } from '@nestbus/contracts';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';
import { PasswordHasher, SCRYPT_COST } from './password.hasher';

@Module({})
export class UsersModule {
  static register(options: { scryptCost: number }): DynamicModule {
    return {
      module: UsersModule,
      imports: [EventBusModule.forFeature({ events: [UserRegistered] })],
      controllers: [UsersController],
      providers: [
        UsersService,
        PasswordHasher,
        { provide: SCRYPT_COST, useValue: options.scryptCost },
      ],
    };
  }
}
