import { Injectable } from '@nestjs/common';
import { EventContext, EventSubscribe } from '@app/event-bus';
import { UserRegistered } from '@app/contracts';
import { UserProfile } from './user-profile.entity';

/** Keeps `user_profiles` in step with the users registered in user-service. */
@Injectable()
export class ProfileProjector {
  @EventSubscribe(UserRegistered)
  async onUserRegistered(event: UserRegistered, ctx: EventContext): Promise<void> {
    // The inbox already drops redeliveries; ignoring a known user keeps a replay harmless too.
    await ctx.manager
      .createQueryBuilder()
      .insert()
      .into(UserProfile)
      .values({
        userId: event.userId,
        username: event.username,
        email: event.email,
        registeredAt: new Date(event.registeredAt),
      })
      .orIgnore()
      .execute();
  }
}
