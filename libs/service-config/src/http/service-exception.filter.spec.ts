import { Body, ConflictException, Controller, Get, Module, Param, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { QueryFailedError } from 'typeorm';
import { ServiceHttpModule } from './service-http.module';

const withCode = (message: string, code?: string): Error =>
  Object.assign(new Error(message), code ? { code } : {});

const FAILURES: Record<string, () => Error> = {
  refused: () => withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
  pool: () => new Error('timeout exceeded when trying to connect'),
  readTimeout: () => new QueryFailedError('SELECT 1', [], new Error('Query read timeout')),
  statementTimeout: () =>
    new QueryFailedError(
      'SELECT 1',
      [],
      withCode('canceling statement due to statement timeout', '57014'),
    ),
  shutdown: () => withCode('terminating connection due to administrator command', '57P01'),
  bug: () => new TypeError("Cannot read properties of undefined (reading 'id')"),
  syntax: () => new QueryFailedError('SELEC 1', [], withCode('syntax error', '42601')),
  conflict: () => new ConflictException('That email is already taken.'),
};

@Controller()
class FailingController {
  @Get('fail/:kind')
  fail(@Param('kind') kind: string): never {
    throw FAILURES[kind]();
  }

  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

@Module({
  imports: [ServiceHttpModule.forRoot({ maxBodyBytes: 50_000 })],
  controllers: [FailingController],
})
class TestModule {}

describe.each([
  ['Nest body parser off (bootstrapService)', false],
  ['Nest body parser on (tests, demo)', true],
])('ServiceHttpModule, %s', (_label, bodyParser) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await NestFactory.create(TestModule, { logger: false, bodyParser });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(() => app.close());

  const get = async (kind: string) => {
    const response = await fetch(`${url}/fail/${kind}`);
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as { message: string },
    };
  };
  const post = async (body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: response.status, body: (await response.json()) as { message?: string } };
  };

  it.each(['refused', 'pool', 'readTimeout', 'statementTimeout', 'shutdown'])(
    'answers 503 with a reason and Retry-After when the database is %s',
    async (kind) => {
      const answer = await get(kind);
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('5');
      expect(answer.body.message).toMatch(/database is unavailable/);
      // The driver's words (hosts, ports) stay in the log.
      expect(answer.body.message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    },
  );

  it.each(['bug', 'syntax'])('keeps a generic 500 for a %s', async (kind) => {
    const answer = await get(kind);
    expect(answer.status).toBe(500);
    expect(answer.retryAfter).toBeNull();
    expect(answer.body.message).toBe('Internal server error');
  });

  it('passes an HttpException through as thrown', async () => {
    const answer = await get('conflict');
    expect(answer.status).toBe(409);
    expect(answer.body.message).toBe('That email is already taken.');
  });

  it('accepts a plain JSON body', async () => {
    expect(await post('{"a":[1,{"b":2}]}')).toEqual({ status: 201, body: { a: [1, { b: 2 }] } });
  });

  it('answers 400 for a body nested 10,000 levels deep', async () => {
    const deep = '[{"a":'.repeat(5_000) + '1' + '}]'.repeat(5_000);
    expect(deep.length).toBeLessThan(50_000);
    const answer = await post(deep);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/deeper than 32 levels/);
  });

  it('answers 400 for a body nested 33 levels, not for 32', async () => {
    expect((await post('['.repeat(33) + ']'.repeat(33))).status).toBe(400);
    expect((await post('['.repeat(32) + ']'.repeat(32))).status).toBe(201);
  });

  it('answers 400 for a body that is not JSON', async () => {
    expect((await post('{"a":')).status).toBe(400);
  });

  it('answers 400 for prototype keys', async () => {
    const answer = await post('{"a":{"__proto__":{"admin":true}}}');
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/forbidden prototype property/);
  });
});

describe('ServiceHttpModule body size', () => {
  it('answers 413 above the configured size, before reading it all', async () => {
    const app = await NestFactory.create(TestModule, { logger: false, bodyParser: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      const response = await fetch(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'x'.repeat(60_000) }),
      });
      expect(response.status).toBe(413);
    } finally {
      await app.close();
    }
  });
});
