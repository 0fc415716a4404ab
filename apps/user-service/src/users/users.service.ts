import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Transactional, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { QueryFailedError } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { EventPublisher } from '@nestbus/event-bus';
import { UserRegistered } from '@nestbus/contracts';
import { CreateUserDto, normaliseEmail } from './create-user.dto';
import { EMAIL_UNIQUE, User, USERNAME_UNIQUE } from './user.entity';
import { PasswordHasher } from './password.hasher';

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  email: string;
}

export interface UserDetails extends UserView {
  createdAt: string;
}

type UniqueField = 'username' | 'email';

@Injectable()
export class UsersService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly events: EventPublisher,
    private readonly passwords: PasswordHasher,
  ) {}

  /** Creates the user and publishes `user.registered` with it, atomically. */
  async register(dto: CreateUserDto): Promise<UserView> {
    // A taken name answers 409 before the deliberately slow hash: a conflict must not cost (or
    // let a caller make us spend) a full scrypt. The hash stays outside the transaction so it
    // holds no connection meanwhile; a registration racing in between still gets 409 from the
    // insert's unique violation.
    await this.ensureAvailable(dto);
    const passwordHash = await this.passwords.hash(dto.password);
    return this.insertAndPublish(dto, passwordHash);
  }

  @Transactional()
  private async insertAndPublish(dto: CreateUserDto, passwordHash: string): Promise<UserView> {
    const user = new User();
    user.id = uuidv7();
    user.username = dto.username;
    user.displayName = dto.displayName ?? dto.username;
    user.email = normaliseEmail(dto.email) as string;
    user.passwordHash = passwordHash;
    user.createdAt = new Date();
    try {
      await this.txHost.tx.insert(User, user);
    } catch (error) {
      // Another registration may have taken the name between the check and the insert.
      const field = uniqueViolation(error);
      if (field) throw taken(field);
      throw error;
    }
    await this.events.publish(
      UserRegistered.of({
        userId: user.id,
        username: user.username,
        displayName: user.displayName,
        email: user.email,
        registeredAt: user.createdAt.toISOString(),
      }),
    );
    return {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      email: user.email,
    };
  }

  async findById(id: string): Promise<UserDetails> {
    const user = await this.txHost.tx.findOneBy(User, { id });
    if (!user) throw new NotFoundException(`User ${id} does not exist.`);
    return {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      email: user.email,
      createdAt: user.createdAt.toISOString(),
    };
  }

  private async ensureAvailable(dto: CreateUserDto): Promise<void> {
    const existing = await this.txHost.tx.findOne(User, {
      select: { username: true, email: true },
      where: [{ username: dto.username }, { email: normaliseEmail(dto.email) as string }],
    });
    if (!existing) return;
    throw taken(existing.username === dto.username ? 'username' : 'email');
  }
}

function taken(field: UniqueField): ConflictException {
  return new ConflictException(`That ${field} is already taken.`);
}

/** Which unique field a failed insert collided with, if that is why it failed. */
function uniqueViolation(error: unknown): UniqueField | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError = error.driverError as { code?: string; constraint?: string; message?: string };
  if (driverError.code === '23505') {
    if (driverError.constraint === USERNAME_UNIQUE) return 'username';
    if (driverError.constraint === EMAIL_UNIQUE) return 'email';
    return undefined;
  }
  if (driverError.code === 'SQLITE_CONSTRAINT_UNIQUE') {
    // SQLite names the column: "UNIQUE constraint failed: users.email".
    if (driverError.message?.includes('users.username')) return 'username';
    if (driverError.message?.includes('users.email')) return 'email';
  }
  return undefined;
}
