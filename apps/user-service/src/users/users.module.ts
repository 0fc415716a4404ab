import { Module } from '@nestjs/common';
import { EventBusModule } from '@app/event-bus';
import { UserRegistered } from '@app/contracts';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [EventBusModule.forFeature({ events: [UserRegistered] })],
  controllers: [UsersController],
  providers: [UsersService],
})
export class UsersModule {}
