import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { InMemoryBroker } from '@nestbus/event-bus';
import { AppModule as UserServiceModule } from '@nestbus/user-service';
import { AppModule as OrderServiceModule } from '@nestbus/order-service';
import type { TestDatabase } from './databases';

export interface RunningService {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Boots an app module over HTTP on an ephemeral loopback port. */
export async function startService(module: DynamicModule): Promise<RunningService> {
  const app = await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const database = (db: TestDatabase) =>
  db.kind === 'postgres'
    ? ({ type: 'postgres', url: db.url } as const)
    : ({ type: 'sqlite', path: db.url } as const);

/** What a test may change in a service's settings: Kafka instead of the broker, a topic prefix. */
type ServiceOverrides = { kafkaBrokers?: string[]; topicPrefix?: string };

export function startUserService(
  db: TestDatabase,
  broker: InMemoryBroker,
  overrides: ServiceOverrides = {},
): Promise<RunningService> {
  return startService(
    UserServiceModule.forRoot({
      port: 0,
      relayEnabled: true,
      traceSampleRate: 1,
      serviceId: 'user-service',
      database: database(db),
      broker,
      // Cheap hashes: these tests are about events, not password strength.
      scryptCost: 1024,
      ...overrides,
    }),
  );
}

export function startOrderService(
  db: TestDatabase,
  broker: InMemoryBroker,
  overrides: ServiceOverrides = {},
): Promise<RunningService> {
  return startService(
    OrderServiceModule.forRoot({
      port: 0,
      relayEnabled: true,
      traceSampleRate: 1,
      serviceId: 'order-service',
      database: database(db),
      broker,
      ...overrides,
    }),
  );
}

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export async function http<T = Record<string, unknown>>(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
): Promise<HttpAnswer<T>> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
