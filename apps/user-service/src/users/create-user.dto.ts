import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';

export class CreateUserDto {
  @IsString()
  @Length(3, 50)
  @Matches(/^[a-zA-Z0-9_.-]+$/, {
    message: 'username may contain only letters, digits, "_", "." and "-"',
  })
  username!: string;

  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsString()
  @Length(8, 128)
  password!: string;
}
