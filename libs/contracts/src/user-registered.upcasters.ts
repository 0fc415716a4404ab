import { type EventUpcaster, Upcaster } from '@nestbus/event-bus';
import type { UserRegisteredV1 } from './user-registered.v1.event';
import type { UserRegistered } from './user-registered.event';

/**
 * Version 1 had no display name: a user was shown by their username, so that is their display
 * name until they choose another. The payload is untrusted and not yet validated (validation runs
 * on the result): anything but an object passes through unchanged, to fail validation there.
 */
@Upcaster({ type: 'user.registered', fromVersion: 1 })
export class UserRegisteredV1ToV2 implements EventUpcaster<UserRegisteredV1, UserRegistered> {
  upcast(v1: UserRegisteredV1): UserRegistered {
    if (typeof v1 !== 'object' || v1 === null || Array.isArray(v1)) return v1 as never;
    return { ...v1, displayName: v1.username } as UserRegistered;
  }
}

/** Every upcaster of the contracts: list them in `forFeature({ upcasters })` of a consumer. */
export const CONTRACT_UPCASTERS = [UserRegisteredV1ToV2];
