import { Injectable } from '@nestjs/common';
import { EventContext, EventSubscribe } from '@nestbus/event-bus';
import { UserRegistered } from '@nestbus/contracts';
import { UserProfile } from './user-profile.entity';

/**
 * Keeps `user_profiles` in step with the users registered in user-service. It handles version 2
 * of `user.registered`; a version 1 event (an old outbox row, an old record, a replayed dead
 * letter) arrives upcast by `UserRegisteredV1ToV2`, listed in ProfilesModule.
 */
@Injectable()
export class ProfileProjector {
  @EventSubscribe(UserRegistered)
  async onUserRegistered(event: UserRegistered, ctx: EventContext): Promise<void> {
    // A plain insert: the inbox guarantees one application per event, and a second profile for
    // one user (another event id) is an anomaly that should fail and reach the dead-letter topic.
    await ctx.manager.insert(UserProfile, {
      userId: event.userId,
      username: event.username,
      displayName: event.displayName,
      email: event.email,
      registeredAt: new Date(event.registeredAt),
    });
  }
}
