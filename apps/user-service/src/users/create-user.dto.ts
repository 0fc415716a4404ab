import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

/** One address, one spelling: `Shared@x.com ` and `shared@x.com` are the same user. */
export function normaliseEmail(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toLowerCase() : value;
}

export class CreateUserDto {
  @IsString()
  @Length(3, 50)
  @Matches(/^[a-zA-Z0-9_.-]+$/, {
    message: 'username may contain only letters, digits, "_", "." and "-"',
  })
  username!: string;

  /** How other users see them: free text, 1 to 100 characters; the username when left out. */
  @IsOptional()
  @IsString()
  @Length(1, 100)
  displayName?: string;

  @Transform(({ value }) => normaliseEmail(value))
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsString()
  @Length(8, 128)
  password!: string;
}
