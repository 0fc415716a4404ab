import { Module } from '@nestjs/common';
import { EventBusModule } from '@nestbus/event-bus';
import { UserRegistered } from '@nestbus/contracts';
import { SERVICE_CONFIG } from '@nestbus/service-config';
import type { UserServiceConfig } from '../config';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';
import { PasswordHasher, SCRYPT_COST } from './password.hasher';

@Module({
  imports: [EventBusModule.forFeature({ events: [UserRegistered] })],
  controllers: [UsersController],
  providers: [
    UsersService,
    PasswordHasher,
    {
      provide: SCRYPT_COST,
      inject: [SERVICE_CONFIG],
      useFactory: (config: UserServiceConfig) => config.scryptCost,
    },
  ],
})
export class UsersModule {}
