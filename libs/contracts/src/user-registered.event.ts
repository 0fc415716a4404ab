import { IntegrationEvent } from '@nestbus/event-bus';
import { IsEmail, IsISO8601, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';

/**
 * What `user.registered` carries, version 2: version 1 plus `displayName`, the name the user
 * chose to be shown by (free text, unlike the username). Consumers validate every field on
 * receipt; a version 1 event reaches them upcast by `UserRegisteredV1ToV2`.
 */
@IntegrationEvent<UserRegistered>({ type: 'user.registered', version: 2, key: (e) => e.userId })
export class UserRegistered {
  @IsUUID()
  userId!: string;

  @IsString()
  @Length(3, 50)
  @Matches(/^[a-zA-Z0-9_.-]+$/)
  username!: string;

  /** Shown to other users; 1 to 100 characters, any script. */
  @IsString()
  @Length(1, 100)
  displayName!: string;

  @IsEmail()
  @MaxLength(254)
  email!: string;

  /** ISO 8601 timestamp of the registration. */
  @IsISO8601({ strict: true })
  registeredAt!: string;

  static of(
    fields: Pick<UserRegistered, 'userId' | 'username' | 'displayName' | 'email' | 'registeredAt'>,
  ): UserRegistered {
    return Object.assign(new UserRegistered(), fields);
  }
}
