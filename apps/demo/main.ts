/*
 * `npm run demo`: both services in one process on SQLite and one in-memory broker. Registers a
 * few users at user-service and watches order-service build their profiles from the events.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InMemoryBroker } from '@nestbus/event-bus';
import { InboxRecord, OutboxMessage } from '@nestbus/event-bus/operations';
import { AppModule as UserServiceModule } from '@nestbus/user-service';
import { loadUserServiceConfig } from '@nestbus/user-service';
import { AppModule as OrderServiceModule } from '@nestbus/order-service';
import { loadOrderServiceConfig } from '@nestbus/order-service';

const USERNAMES = ['alice', 'bob', 'carol', 'dave', 'erin'];
const PROFILE_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 10;

interface Service {
  app: INestApplication;
  url: string;
  dataSource: DataSource;
}

interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'event-bus-demo-'));
  const broker = new InMemoryBroker();
  const services: Service[] = [];
  try {
    // Every event in the trace log, so the demo can show one event's hops.
    const env = (file: string) => ({
      PORT: '0',
      DATABASE_URL: join(dir, file),
      EVENT_TRACE_SAMPLE_RATE: '1',
    });
    const users = await start(
      UserServiceModule.forRoot({ ...loadUserServiceConfig(env('user-service.sqlite')), broker }),
    );
    services.push(users);
    const orders = await start(
      OrderServiceModule.forRoot({
        ...loadOrderServiceConfig(env('order-service.sqlite')),
        broker,
      }),
    );
    services.push(orders);
    console.log(`user-service at ${users.url}, order-service at ${orders.url}`);
    console.log(`SQLite files in ${dir}; one in-memory broker between them\n`);

    const [firstEvent] = await showRegistrations(users, orders);
    await showRejections(users);
    await showObservability(users, orders, firstEvent);
  } finally {
    for (const { app } of services.reverse()) await app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function start(module: DynamicModule): Promise<Service> {
  const app = await NestFactory.create(module, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, dataSource: app.get(getDataSourceToken()) };
}

/** Registers the users and waits for their profiles; returns the events' ids. */
async function showRegistrations(users: Service, orders: Service): Promise<string[]> {
  const started = performance.now();
  const latencies: number[] = [];
  const events: string[] = [];
  for (const username of USERNAMES) {
    const created = await post(users.url, '/users', {
      username,
      email: `${username}@example.com`,
      password: `${username}-secret-password`,
    });
    expectStatus(created, 201, `registering ${username}`);
    const userId = String(created.body.id);
    await waitForProfile(orders.url, userId);

    const event = await users.dataSource.getRepository(OutboxMessage).findOneBy({ key: userId });
    if (!event) throw new Error(`No outbox row has the key ${userId}.`);
    const inbox = await orders.dataSource
      .getRepository(InboxRecord)
      .findOneBy({ eventId: event.id });
    if (!inbox) throw new Error(`order-service's inbox has no row for event ${event.id}.`);
    const latency = inbox.processedAt.getTime() - event.createdAt.getTime();
    latencies.push(latency);
    events.push(event.id);
    console.log(
      `${username.padEnd(6)} user ${userId}  event ${event.id}  published → profile ${latency} ms`,
    );
  }
  const total = Math.round(performance.now() - started);
  const average = latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length;
  console.log(
    `\n${USERNAMES.length} users registered, ${USERNAMES.length} profiles projected in ${total} ms ` +
      `(published → profile: average ${average.toFixed(1)} ms, slowest ${Math.max(...latencies)} ms)`,
  );
  return events;
}

/** One event's hops from both services' trace logs, and a line of each service's metrics. */
async function showObservability(users: Service, orders: Service, eventId: string): Promise<void> {
  console.log(`
trace of event ${eventId} (GET /events/:id/trace):`);
  for (const service of [users, orders]) {
    // The trace log is written in batches, off the events' path: it may lag a moment behind.
    let trace = await get(service.url, `/events/${eventId}/trace`);
    for (let i = 0; trace.status === 404 && i < 300; i++) {
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      trace = await get(service.url, `/events/${eventId}/trace`);
    }
    expectStatus(trace, 200, `reading the trace of ${eventId}`);
    const hops = trace.body.hops as Array<{ stage: string; at: string; service: string }>;
    for (const hop of hops) console.log(`  ${hop.at}  ${hop.service.padEnd(13)} ${hop.stage}`);
  }
  const metrics = await fetch(`${orders.url}/metrics`).then((r) => r.text());
  const handled = metrics
    .split('\n')
    .filter(
      (line) => line.startsWith('event_bus_events_processed_total{') && / [1-9]\d*$/.test(line),
    );
  console.log(`
GET /metrics (non-zero outcomes):\n  ${handled.join('\n  ')}`);
}

async function showRejections(users: Service): Promise<void> {
  const [first] = USERNAMES;
  const duplicate = await post(users.url, '/users', {
    username: first,
    email: `${first}@example.com`,
    password: 'another-secret-password',
  });
  expectStatus(duplicate, 409, 'registering a taken username');
  console.log(`duplicate "${first}" → ${duplicate.status} ${describe(duplicate.body.message)}`);

  const invalid = await post(users.url, '/users', {
    username: 'x',
    email: 'not-an-email',
    password: 'short',
  });
  expectStatus(invalid, 400, 'registering invalid input');
  console.log(`invalid input    → ${invalid.status} ${describe(invalid.body.message)}`);
}

async function waitForProfile(baseUrl: string, userId: string): Promise<void> {
  const deadline = Date.now() + PROFILE_TIMEOUT_MS;
  for (;;) {
    const answer = await get(baseUrl, `/profiles/${userId}`);
    if (answer.status === 200) return;
    if (answer.status !== 404) expectStatus(answer, 200, `reading the profile of ${userId}`);
    if (Date.now() > deadline) {
      throw new Error(`order-service has no profile for ${userId} after ${PROFILE_TIMEOUT_MS} ms.`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function post(baseUrl: string, path: string, body: object): Promise<HttpAnswer> {
  return request(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function get(baseUrl: string, path: string): Promise<HttpAnswer> {
  return request(baseUrl + path, { method: 'GET' });
}

async function request(url: string, init: RequestInit): Promise<HttpAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as HttpAnswer['body']) : {} };
}

function expectStatus(answer: HttpAnswer, status: number, what: string): void {
  if (answer.status !== status) {
    throw new Error(
      `${what} answered ${answer.status} instead of ${status}: ${JSON.stringify(answer.body)}`,
    );
  }
}

function describe(message: unknown): string {
  return Array.isArray(message) ? message.join('; ') : String(message);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.log(`Demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
