import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { EnvironmentError } from './environment.validation';
import { SERVICE_CONFIG, ServiceConfigModule } from './service-config.module';
import { TEST_SCHEMA, type TestEnvironment } from './__fixtures__/test-environment';
import type { ServiceConfig } from '../service-config';

const SCHEMA = TEST_SCHEMA;

describe('ServiceConfigModule.forEnvironment (ConfigModule validates process.env)', () => {
  const saved = { ...process.env };

  afterEach(() => {
    // ConfigModule also writes the defaults of unset variables into process.env.
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  const boot = async (env: Record<string, string>) => {
    Object.assign(process.env, env);
    const app = await Test.createTestingModule({
      imports: [await ServiceConfigModule.forEnvironment(SCHEMA)],
    }).compile();
    return {
      config: app.get<ServiceConfig>(SERVICE_CONFIG),
      env: app.get<ConfigService<TestEnvironment, true>>(ConfigService),
    };
  };

  it('provides the typed settings, and ConfigService the validated variables', async () => {
    const { config, env } = await boot({
      PORT: '4100',
      DATABASE_URL: 'postgres://u@h/db',
      DATABASE_POOL_SIZE: '7',
    });
    expect(config).toMatchObject({
      port: 4100,
      serviceId: 'svc',
      database: { type: 'postgres', url: 'postgres://u@h/db', limits: { poolSize: 7 } },
    });
    expect(env.get('PORT', { infer: true })).toBe(4100);
    expect(env.get('OUTBOX_RELAY_ENABLED', { infer: true })).toBe(true);
  });

  it("leaves an optional variable that is empty unset, instead of reading process.env's text", async () => {
    const { config } = await boot({ KAFKA_BROKERS: '', EVENT_TOPIC_PREFIX: '' });
    expect(config.kafkaBrokers).toBeUndefined();
    expect(config.topicPrefix).toBeUndefined();
  });

  it('rejects naming every bad variable before the application exists', async () => {
    const failure = boot({ PORT: 'abc', DATABASE_POOL_SIZE: 'x' });
    await expect(failure).rejects.toBeInstanceOf(EnvironmentError);
    await expect(failure).rejects.toMatchObject({
      problems: [
        'PORT must be an integer from 0 to 65535, got "abc".',
        'DATABASE_POOL_SIZE must be an integer from 1 to 1000, got "x".',
      ],
    });
  });
});
