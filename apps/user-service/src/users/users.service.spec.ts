import { ConflictException } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryBroker } from '@nestbus/event-bus';
import { AppModule } from '../app.module';
import { PasswordHasher } from './password.hasher';
import { UsersService } from './users.service';

describe('UsersService.register', () => {
  let dir: string;
  let app: INestApplicationContext;
  let users: UsersService;
  let hash: jest.SpyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'users-service-spec-'));
    app = await NestFactory.createApplicationContext(
      AppModule.forRoot({
        port: 0,
        serviceId: 'user-service',
        database: { type: 'sqlite', path: join(dir, 'users.sqlite') },
        relayEnabled: false,
        traceSampleRate: 0,
        broker: new InMemoryBroker(),
        scryptCost: 1024,
      }),
      { logger: false },
    );
    users = app.get(UsersService);
    hash = jest.spyOn(app.get(PasswordHasher), 'hash');
    await users.register({ username: 'shared', email: 'shared@x.com', password: 'long enough' });
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => hash.mockClear());

  it.each([
    ['username', { username: 'shared', email: 'other@x.com' }],
    ['email', { username: 'other', email: 'shared@x.com' }],
  ])('answers 409 for a taken %s without hashing the password', async (field, taken) => {
    await expect(users.register({ ...taken, password: 'long enough' })).rejects.toThrow(
      new ConflictException(`That ${field} is already taken.`),
    );
    expect(hash).not.toHaveBeenCalled();
  });

  it('treats an email in other case and with spaces as the same address', async () => {
    await expect(
      users.register({ username: 'other', email: '  Shared@X.com ', password: 'long enough' }),
    ).rejects.toThrow(ConflictException);
    expect(hash).not.toHaveBeenCalled();
  });

  it('hashes once for a free name and stores the email normalised', async () => {
    const view = await users.register({
      username: 'fresh',
      email: 'Fresh@X.com',
      password: 'long enough',
    });
    expect(hash).toHaveBeenCalledTimes(1);
    expect(view.email).toBe('fresh@x.com');
  });
});
