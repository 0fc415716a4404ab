import { Check, Column, Entity, PrimaryColumn, Unique } from 'typeorm';

export const USERNAME_UNIQUE = 'UQ_users_username';
export const EMAIL_UNIQUE = 'UQ_users_email';
export const EMAIL_NORMALISED = 'CHK_users_email_normalised';

/**
 * Emails are stored normalised (trimmed, lower-case; see `normaliseEmail`) and the CHECK keeps
 * them so, which makes the unique constraint on `email` unique regardless of case. On PostgreSQL
 * the migration makes it a unique index on lower(email) under the same name.
 */
@Entity({ name: 'users' })
@Unique(USERNAME_UNIQUE, ['username'])
@Unique(EMAIL_UNIQUE, ['email'])
@Check(EMAIL_NORMALISED, `"email" = lower(trim("email"))`)
export class User {
  /** UUIDv7, generated in code so the id is known before the insert. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 50 })
  username!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100 })
  displayName!: string;

  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;
}
