import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventBusModule } from '@nestbus/event-bus';
import { CONTRACT_UPCASTERS, UserRegistered } from '@nestbus/contracts';
import { UserProfile } from './user-profile.entity';
import { ProfileProjector } from './profile.projector';
import { ProfilesController } from './profiles.controller';
import { ProfilesService } from './profiles.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([UserProfile]),
    EventBusModule.forFeature({ events: [UserRegistered], upcasters: CONTRACT_UPCASTERS }),
  ],
  controllers: [ProfilesController],
  providers: [ProfileProjector, ProfilesService],
})
export class ProfilesModule {}
