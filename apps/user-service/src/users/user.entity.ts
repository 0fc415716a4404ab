import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';

export const USERNAME_UNIQUE = 'UQ_users_username';
export const EMAIL_UNIQUE = 'UQ_users_email';

@Entity({ name: 'users' })
@Unique(USERNAME_UNIQUE, ['username'])
@Unique(EMAIL_UNIQUE, ['email'])
export class User {
  /** UUIDv7, generated in code so the id is known before the insert. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 50 })
  username!: string;

  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;
}
