import { IntegrationEvent } from '@nestbus/event-bus';
import { IsEmail, IsISO8601, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';

/** What `user.registered` carries; consumers validate every field on receipt. */
@IntegrationEvent<UserRegistered>({ type: 'user.registered', version: 1, key: (e) => e.userId })
export class UserRegistered {
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

  static of(
    fields: Pick<UserRegistered, 'userId' | 'username' | 'email' | 'registeredAt'>,
  ): UserRegistered {
    return Object.assign(new UserRegistered(), fields);
  }
}
