import { IntegrationEvent } from '@nestbus/event-bus';
import { IsEmail, IsISO8601, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';

/**
 * `user.registered` as version 1 went over the wire (released in 0.1). Kept, never changed:
 * the fixtures and the schema check read it, and `UserRegisteredV1ToV2` turns it into the
 * current version for consumers.
 */
@IntegrationEvent<UserRegisteredV1>({ type: 'user.registered', version: 1, key: (e) => e.userId })
export class UserRegisteredV1 {
  @IsUUID()
  userId!: string;

  @IsString()
  @Length(3, 50)
  @Matches(/^[a-zA-Z0-9_.-]+$/)
  username!: string;

  @IsEmail()
  @MaxLength(254)
  email!: string;

  /** ISO 8601 timestamp of the registration. */
  @IsISO8601({ strict: true })
  registeredAt!: string;
}
