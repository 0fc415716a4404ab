import type { DynamicModule, LoggerService, Provider, Type } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventBusTestingModule, type EventBusTestingOptions } from '../../testing';
import { EVENT_BUS_ENTITIES } from '../event-bus.entities';
import { OutboxMessage } from '../storage/typeorm/entities/outbox-message.entity';

/** Collects log lines so a spec can assert on warnings; prints nothing. */
export class RecordingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];

  log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  debug(message: unknown): void {
    this.lines.push({ level: 'debug', message: String(message) });
  }
  verbose(message: unknown): void {
    this.lines.push({ level: 'verbose', message: String(message) });
  }

  messages(level: string): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.message);
  }
}

export interface TestAppOptions {
  /** `EventBusTestingModule.forRoot` options; `serviceId: 'svc'` unless given. */
  bus?: EventBusTestingOptions;
  providers?: Provider[];
  controllers?: Array<Type<unknown>>;
  imports?: Array<Type<unknown> | DynamicModule>;
  /** TypeORM entities; the event-bus entities by default. */
  entities?: Array<Type<unknown>>;
  logger?: RecordingLogger;
}

/**
 * Compiles the app a user of the public testing module writes (`EventBusTestingModule`, so its
 * fast polls and retries and its `EventBusTestHelper`), on a fresh SQLite `:memory:` database and
 * a logger that prints nothing. The caller runs `init()` (so it can assert on startup failures)
 * and `close()`.
 */
export async function compileTestApp(options: TestAppOptions = {}): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: options.entities ?? EVENT_BUS_ENTITIES,
        synchronize: true,
      }),
      EventBusTestingModule.forRoot({ serviceId: 'svc', ...options.bus }),
      ...(options.imports ?? []),
    ],
    controllers: options.controllers ?? [],
    providers: options.providers ?? [],
  })
    .setLogger(options.logger ?? new RecordingLogger())
    .compile();
}

/** Compiles and initialises; see `compileTestApp`. */
export async function bootTestApp(options: TestAppOptions = {}): Promise<TestingModule> {
  const app = await compileTestApp(options);
  await app.init();
  return app;
}

/** An outbox row with plain defaults (pending, created an hour ago); `overrides` wins. */
export function outboxRow(id: string, overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
  return Object.assign(new OutboxMessage(), {
    id,
    type: 'item.created',
    version: 1,
    key: null,
    topic: 'item.created',
    destination: null,
    payload: '{}',
    headers: '{}',
    status: 'pending',
    attempts: 0,
    nextAttemptAt: new Date(Date.now() - 60 * 1000),
    lastError: null,
    createdAt: hourAgo,
    publishedAt: null,
    ...overrides,
  });
}

/** Polls `check` every 10 ms for up to 3 s; rejects naming `what` when it never holds. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
