import type { DynamicModule } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { register } from 'prom-client';
import { RecordingLogger } from '../__fixtures__/event-bus-test-app';
import { EventBusModule } from '../event-bus.module';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { JsonPayloadCodec } from '../envelope/json-payload.codec';
import { EVENT_BUS_DEFAULTS } from './event-bus-defaults';
import { resolveEventBusOptions } from './resolve-event-bus-options';
import type { EventBusModuleOptions } from '../interfaces/event-bus-options.interface';
import type { EventTransport } from '../transports/event-transport.interface';
import { InMemoryBroker } from '../transports/in-memory/in-memory-broker';
import { InMemoryTransport } from '../transports/in-memory/in-memory.transport';

/** Resolves `options` and returns the configuration error it raised. */
function configurationError(options: unknown): EventBusConfigurationError {
  try {
    resolveEventBusOptions(options as EventBusModuleOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(EventBusConfigurationError);
    return error as EventBusConfigurationError;
  }
  throw new Error(`resolveEventBusOptions accepted ${JSON.stringify(options)}`);
}

describe('resolveEventBusOptions', () => {
  describe('defaults', () => {
    it('fills every option from EVENT_BUS_DEFAULTS when only serviceId is given', () => {
      const resolved = resolveEventBusOptions({ serviceId: 'user-service' });

      expect(resolved).toMatchObject({
        serviceId: 'user-service',
        transport: { type: 'in-memory' },
        dataSource: undefined,
        outbox: EVENT_BUS_DEFAULTS.outbox,
        consumer: { ...EVENT_BUS_DEFAULTS.consumer, groupId: 'user-service' },
        topics: { partitions: 3, replicationFactor: 1 },
        inbox: EVENT_BUS_DEFAULTS.inbox,
        codec: EVENT_BUS_DEFAULTS.codec,
        tracing: EVENT_BUS_DEFAULTS.tracing,
        metrics: { enabled: true, registry: register },
        interceptors: [],
        shutdownTimeoutMs: EVENT_BUS_DEFAULTS.shutdownTimeoutMs,
      });
    });

    it('sends binary mode with the JSON payload codec by default', () => {
      const { codec } = resolveEventBusOptions({ serviceId: 'svc' });

      expect(codec.mode).toBe('binary');
      expect(codec.payload).toBeInstanceOf(JsonPayloadCodec);
      expect(codec.payload.contentType).toBe('application/json');
    });

    it('takes structured mode and a payload codec of its own', () => {
      const payload = {
        contentType: 'application/x-test',
        encode: () => Buffer.alloc(0),
        decode: () => ({}),
      };

      const { codec } = resolveEventBusOptions({
        serviceId: 'svc',
        codec: { mode: 'structured', payload },
      });

      expect(codec.mode).toBe('structured');
      expect(codec.payload).toBe(payload);
    });

    it('names what codec.mode takes when it is wrong', () => {
      expect(configurationError({ serviceId: 'svc', codec: { mode: 'json' } }).message).toBe(
        'Invalid event-bus option "codec.mode": expected "binary" or "structured", got "json".',
      );
    });

    it('names topics after their event type by default', () => {
      const resolved = resolveEventBusOptions({ serviceId: 'svc' });

      expect(resolved.topics.naming('user.registered')).toBe('user.registered');
    });

    it('uses the service id as the consumer group unless one is given', () => {
      expect(resolveEventBusOptions({ serviceId: 'svc' }).consumer.groupId).toBe('svc');
      expect(
        resolveEventBusOptions({ serviceId: 'svc', consumer: { groupId: 'other' } }).consumer
          .groupId,
      ).toBe('other');
    });

    it('keeps the defaults of a nested object when only some of its fields are given', () => {
      const resolved = resolveEventBusOptions({
        serviceId: 'svc',
        outbox: { backoff: { maxMs: 5000 } },
        consumer: { retry: { maxRetries: 7 } },
      });

      expect(resolved.outbox.backoff).toEqual({
        ...EVENT_BUS_DEFAULTS.outbox.backoff,
        maxMs: 5000,
      });
      expect(resolved.outbox.batchSize).toBe(EVENT_BUS_DEFAULTS.outbox.batchSize);
      expect(resolved.consumer.retry).toEqual({
        ...EVENT_BUS_DEFAULTS.consumer.retry,
        maxRetries: 7,
      });
    });

    it('keeps given values, including falsy ones', () => {
      const naming = (type: string): string => `prod.${type}`;
      const resolved = resolveEventBusOptions({
        serviceId: 'svc',
        outbox: { enabled: false, retentionMs: 0, redeliverOnStartupMs: 0 },
        consumer: { enabled: false, fromBeginning: false, retry: { maxRetries: 0, jitter: 0 } },
        topics: { naming, partitions: 12 },
        shutdownTimeoutMs: 0,
      });

      expect(resolved.outbox).toMatchObject({
        enabled: false,
        retentionMs: 0,
        redeliverOnStartupMs: 0,
      });
      expect(resolved.consumer).toMatchObject({ enabled: false, fromBeginning: false });
      expect(resolved.consumer.retry).toMatchObject({ maxRetries: 0, jitter: 0 });
      expect(resolved.topics.naming).toBe(naming);
      expect(resolved.topics.partitions).toBe(12);
      expect(resolved.shutdownTimeoutMs).toBe(0);
    });

    it('announces commits by default only where the relay is off, and listens by default', () => {
      const relaying = resolveEventBusOptions({ serviceId: 'svc' }).outbox;
      const publishing = resolveEventBusOptions({
        serviceId: 'svc',
        outbox: { enabled: false },
      }).outbox;

      expect(relaying).toMatchObject({ enabled: true, notify: false, listen: true });
      expect(publishing).toMatchObject({ enabled: false, notify: true, listen: true });
    });

    it('keeps outbox.notify and outbox.listen as given, whatever outbox.enabled says', () => {
      const relaying = resolveEventBusOptions({
        serviceId: 'svc',
        outbox: { notify: true, listen: false },
      }).outbox;
      const publishing = resolveEventBusOptions({
        serviceId: 'svc',
        outbox: { enabled: false, notify: false },
      }).outbox;

      expect(relaying).toMatchObject({ enabled: true, notify: true, listen: false });
      expect(publishing).toMatchObject({ enabled: false, notify: false });
    });

    it('accepts a custom transport that implements EventTransport', () => {
      const transport: EventTransport = new InMemoryTransport(new InMemoryBroker());
      const resolved = resolveEventBusOptions({
        serviceId: 'svc',
        transport: { type: 'custom', transport },
      });

      expect(resolved.transport).toEqual({ type: 'custom', transport });
    });
  });

  describe('invalid options', () => {
    const cases: Array<[path: string, options: unknown]> = [
      ['options', null],
      ['serviceId', {}],
      ['serviceId', { serviceId: '' }],
      ['serviceId', { serviceId: 'user service' }],
      ['serviceId', { serviceId: '../etc' }],
      ['serviceId', { serviceId: 42 }],
      ['serviceId', { serviceId: 'x'.repeat(201) }],
      ['dataSource', { serviceId: 'svc', dataSource: '' }],
      ['outbox.enabled', { serviceId: 'svc', outbox: { enabled: 'yes' } }],
      ['outbox.batchSize', { serviceId: 'svc', outbox: { batchSize: 0 } }],
      ['outbox.batchesInFlight', { serviceId: 'svc', outbox: { batchesInFlight: 0 } }],
      ['outbox.batchesInFlight', { serviceId: 'svc', outbox: { batchesInFlight: 17 } }],
      ['outbox.batchSize', { serviceId: 'svc', outbox: { batchSize: 2.5 } }],
      ['outbox.batchSize', { serviceId: 'svc', outbox: { batchSize: '10' } }],
      ['outbox.batchSize', { serviceId: 'svc', outbox: { batchSize: 10_001 } }],
      ['outbox.pollIntervalMs', { serviceId: 'svc', outbox: { pollIntervalMs: 5 } }],
      ['outbox.notify', { serviceId: 'svc', outbox: { notify: 'yes' } }],
      ['outbox.notify', { serviceId: 'svc', outbox: { enabled: false, notify: 0 } }],
      ['outbox.listen', { serviceId: 'svc', outbox: { listen: 1 } }],
      ['outbox.maxAttempts', { serviceId: 'svc', outbox: { maxAttempts: 0 } }],
      ['outbox.retentionMs', { serviceId: 'svc', outbox: { retentionMs: -1 } }],
      ['outbox.retryFailedEveryMs', { serviceId: 'svc', outbox: { retryFailedEveryMs: 500 } }],
      ['outbox.retryFailedEveryMs', { serviceId: 'svc', outbox: { retryFailedEveryMs: -1 } }],
      [
        'outbox.retryFailedEveryMs',
        // Past setInterval's 2^31 - 1 ms, Node would run the job every millisecond.
        { serviceId: 'svc', outbox: { retryFailedEveryMs: 25 * 24 * 3600 * 1000 } },
      ],
      ['outbox.redeliverOnStartupMs', { serviceId: 'svc', outbox: { redeliverOnStartupMs: NaN } }],
      ['outbox.backoff.initialMs', { serviceId: 'svc', outbox: { backoff: { initialMs: -1 } } }],
      [
        'outbox.backoff.maxMs',
        { serviceId: 'svc', outbox: { backoff: { initialMs: 1000, maxMs: 999 } } },
      ],
      ['outbox.backoff.multiplier', { serviceId: 'svc', outbox: { backoff: { multiplier: 0.5 } } }],
      ['outbox.backoff.jitter', { serviceId: 'svc', outbox: { backoff: { jitter: 1.5 } } }],
      ['outbox.backoff.jitter', { serviceId: 'svc', outbox: { backoff: { jitter: Infinity } } }],
      ['consumer.enabled', { serviceId: 'svc', consumer: { enabled: 1 } }],
      ['consumer.groupId', { serviceId: 'svc', consumer: { groupId: 'a group' } }],
      ['consumer.fromBeginning', { serviceId: 'svc', consumer: { fromBeginning: 'true' } }],
      ['consumer.maxBatchSize', { serviceId: 'svc', consumer: { maxBatchSize: 0 } }],
      ['consumer.concurrency', { serviceId: 'svc', consumer: { concurrency: 0 } }],
      [
        'consumer.partitionsConcurrently',
        { serviceId: 'svc', consumer: { partitionsConcurrently: 1001 } },
      ],
      ['consumer.retry.maxRetries', { serviceId: 'svc', consumer: { retry: { maxRetries: -1 } } }],
      ['consumer.retry.maxRetries', { serviceId: 'svc', consumer: { retry: { maxRetries: 1.5 } } }],
      [
        'consumer.retry.maxMs',
        { serviceId: 'svc', consumer: { retry: { initialMs: 500, maxMs: 100 } } },
      ],
      ['consumer.retry.multiplier', { serviceId: 'svc', consumer: { retry: { multiplier: 101 } } }],
      ['transport', { serviceId: 'svc', transport: null }],
      ['transport', { serviceId: 'svc', transport: 'in-memory' }],
      ['transport.type', { serviceId: 'svc', transport: { type: 'rabbitmq' } }],
      ['transport.broker', { serviceId: 'svc', transport: { type: 'in-memory', broker: {} } }],
      ['transport.transport.connect', { serviceId: 'svc', transport: { type: 'custom' } }],
      [
        'transport.transport.send',
        {
          serviceId: 'svc',
          transport: {
            type: 'custom',
            transport: { connect() {}, ensureTopics() {}, subscribe() {}, close() {} },
          },
        },
      ],
      ['topics.naming', { serviceId: 'svc', topics: { naming: 'prefix.' } }],
      ['topics.partitions', { serviceId: 'svc', topics: { partitions: 0 } }],
      ['topics.replicationFactor', { serviceId: 'svc', topics: { replicationFactor: 101 } }],
      ['inbox.retentionMs', { serviceId: 'svc', inbox: { retentionMs: 1000 } }],
      ['codec.maxMessageBytes', { serviceId: 'svc', codec: { maxMessageBytes: 0 } }],
      ['codec.mode', { serviceId: 'svc', codec: { mode: 'Structured' } }],
      ['codec.mode', { serviceId: 'svc', codec: { mode: 'batch' } }],
      ['codec.payload', { serviceId: 'svc', codec: { payload: 'avro' } }],
      ['codec.payload', { serviceId: 'svc', codec: { payload: null } }],
      [
        'codec.payload.contentType',
        { serviceId: 'svc', codec: { payload: { encode() {}, decode() {} } } },
      ],
      [
        'codec.payload.contentType',
        {
          serviceId: 'svc',
          codec: { payload: { contentType: 'application/avro; v=1', encode() {}, decode() {} } },
        },
      ],
      [
        'codec.payload.contentType',
        {
          serviceId: 'svc',
          codec: {
            payload: { contentType: 'application/cloudevents+json', encode() {}, decode() {} },
          },
        },
      ],
      [
        'codec.payload.encode',
        { serviceId: 'svc', codec: { payload: { contentType: 'application/avro', decode() {} } } },
      ],
      [
        'codec.payload.decode',
        {
          serviceId: 'svc',
          codec: { payload: { contentType: 'application/avro', encode() {}, decode: 'no' } },
        },
      ],
      ['interceptors', { serviceId: 'svc', interceptors: {} }],
      ['interceptors[1]', { serviceId: 'svc', interceptors: [{}, null] }],
      ['shutdownTimeoutMs', { serviceId: 'svc', shutdownTimeoutMs: -1 }],
      ['tracing.enabled', { serviceId: 'svc', tracing: { enabled: 'on' } }],
      ['tracing.recordKeys', { serviceId: 'svc', tracing: { recordKeys: 1 } }],
      ['tracing.log.enabled', { serviceId: 'svc', tracing: { log: { enabled: 'yes' } } }],
      ['tracing.log.sampleRate', { serviceId: 'svc', tracing: { log: { sampleRate: 1.5 } } }],
      ['tracing.log.sampleRate', { serviceId: 'svc', tracing: { log: { sampleRate: -0.1 } } }],
      ['tracing.log.retentionMs', { serviceId: 'svc', tracing: { log: { retentionMs: 10 } } }],
      ['metrics.enabled', { serviceId: 'svc', metrics: { enabled: 'true' } }],
      ['metrics.registry', { serviceId: 'svc', metrics: { registry: {} } }],
    ];

    it.each(cases)('rejects a bad %s with an error naming it', (path, options) => {
      const error = configurationError(options);

      expect(error.message).toContain(`Invalid event-bus option "${path}"`);
      expect(error.retriable).toBe(false);
      expect(error.name).toBe('EventBusConfigurationError');
    });

    it('says what it expected and what it got', () => {
      const error = configurationError({ serviceId: 'svc', outbox: { batchSize: 0 } });

      expect(error.message).toBe(
        'Invalid event-bus option "outbox.batchSize": expected an integer from 1 to 10000, got 0.',
      );
    });

    it('compares backoff maxMs with initialMs after merging the defaults', () => {
      // Default maxMs is 60 s; an initialMs above it must fail even though maxMs was not given.
      const error = configurationError({
        serviceId: 'svc',
        outbox: { backoff: { initialMs: 120_000 } },
      });

      expect(error.message).toContain('"outbox.backoff.maxMs"');
      expect(error.message).toContain('outbox.backoff.initialMs (120000)');
    });
  });

  describe('maintenance', () => {
    it('cleans up every 10 minutes unless maintenance.cleanupEveryMs says otherwise', () => {
      expect(resolveEventBusOptions({ serviceId: 'svc' }).maintenance).toEqual({
        cleanupEveryMs: 600_000,
      });
      expect(
        resolveEventBusOptions({ serviceId: 'svc', maintenance: { cleanupEveryMs: 5000 } })
          .maintenance.cleanupEveryMs,
      ).toBe(5000);
    });

    it.each([999, 86_400_001, 1.5, '60000'])(
      'rejects maintenance.cleanupEveryMs %p with an error naming it',
      (cleanupEveryMs) => {
        const error = configurationError({ serviceId: 'svc', maintenance: { cleanupEveryMs } });

        expect(error.message).toContain(
          'Invalid event-bus option "maintenance.cleanupEveryMs": expected an integer from 1000 to 86400000',
        );
      },
    );
  });
});

describe('unknown option keys', () => {
  const kafka = { type: 'kafka', brokers: ['127.0.0.1:9092'] };

  it('rejects a misspelt top-level key, suggesting the one meant', () => {
    const error = configurationError({ serviceId: 'svc', outbx: { enabled: false } });

    expect(error.message).toBe('Unknown event-bus option "outbx": did you mean "outbox"?');
    expect(error.retriable).toBe(false);
  });

  const typos: Array<[path: string, suggestion: string, options: Record<string, unknown>]> = [
    ['serviceid', 'serviceId', { serviceid: 'svc' }],
    ['dataSrouce', 'dataSource', { dataSrouce: 'orders' }],
    ['shutdownTimeout', 'shutdownTimeoutMs', { shutdownTimeout: 1000 }],
    ['interceptor', 'interceptors', { interceptor: [] }],
    ['outbox.batchSze', 'outbox.batchSize', { outbox: { batchSze: 5 } }],
    [
      'outbox.backoff.intialMs',
      'outbox.backoff.initialMs',
      { outbox: { backoff: { intialMs: 1 } } },
    ],
    ['consumer.concurency', 'consumer.concurrency', { consumer: { concurency: 2 } }],
    [
      'consumer.retry.maxRetires',
      'consumer.retry.maxRetries',
      { consumer: { retry: { maxRetires: 1 } } },
    ],
    [
      'consumer.unavailableBackoff.maxMS',
      'consumer.unavailableBackoff.maxMs',
      { consumer: { unavailableBackoff: { maxMS: 1000 } } },
    ],
    ['consumer.isTransiant', 'consumer.isTransient', { consumer: { isTransiant: () => true } }],
    ['topics.partition', 'topics.partitions', { topics: { partition: 6 } }],
    ['inbox.retention', 'inbox.retentionMs', { inbox: { retention: 60_000 } }],
    ['codec.maxMessageByte', 'codec.maxMessageBytes', { codec: { maxMessageByte: 10 } }],
    ['health.maxPendingEvent', 'health.maxPendingEvents', { health: { maxPendingEvent: 10 } }],
    ['tracing.enable', 'tracing.enabled', { tracing: { enable: false } }],
    ['tracing.log.sampelRate', 'tracing.log.sampleRate', { tracing: { log: { sampelRate: 0.5 } } }],
    ['metrics.registery', 'metrics.registry', { metrics: { registery: register } }],
    ['transport.borker', 'transport.broker', { transport: { type: 'in-memory', borker: null } }],
    ['transport.clientID', 'transport.clientId', { transport: { ...kafka, clientID: 'x' } }],
    [
      'transport.requestTimeout',
      'transport.requestTimeoutMs',
      { transport: { ...kafka, requestTimeout: 1000 } },
    ],
    [
      'transport.transprot',
      'transport.transport',
      {
        transport: {
          type: 'custom',
          transport: new InMemoryTransport(new InMemoryBroker()),
          transprot: 1,
        },
      },
    ],
  ];

  it.each(typos)('rejects "%s", suggesting "%s"', (path, suggestion, options) => {
    const error = configurationError({ serviceId: 'svc', ...options });

    expect(error.message).toBe(`Unknown event-bus option "${path}": did you mean "${suggestion}"?`);
  });

  it('reports every unknown key in one error', () => {
    const error = configurationError({
      serviceId: 'svc',
      outbx: {},
      consumer: { retry: { maxRetires: 1 }, banana: true },
      tracing: { log: { enabeld: true } },
    });

    expect(error.message).toBe(
      [
        'Unknown event-bus options:',
        '  - "outbx": did you mean "outbox"?',
        '  - "consumer.retry.maxRetires": did you mean "consumer.retry.maxRetries"?',
        '  - "consumer.banana". "consumer" takes enabled, groupId, fromBeginning, maxBatchSize, concurrency, recordsPerTransaction, partitionsConcurrently, retry, unavailableBackoff, isTransient.',
        '  - "tracing.log.enabeld": did you mean "tracing.log.enabled"?',
      ].join('\n'),
    );
  });

  it('lists the keys a section takes when no key is close', () => {
    const error = configurationError({ serviceId: 'svc', codec: { gzip: true } });

    expect(error.message).toBe(
      'Unknown event-bus option "codec.gzip". "codec" takes maxMessageBytes, mode, payload.',
    );
  });

  it('suggests the key one level deeper when it was put at the wrong depth', () => {
    expect(configurationError({ serviceId: 'svc', consumer: { maxRetries: 5 } }).message).toBe(
      'Unknown event-bus option "consumer.maxRetries": did you mean "consumer.retry.maxRetries"?',
    );
    expect(configurationError({ serviceId: 'svc', brokers: ['k:9092'] }).message).toBe(
      'Unknown event-bus option "brokers": did you mean "transport.brokers"?',
    );
  });

  it('guesses no deeper key that several sections have', () => {
    expect(configurationError({ serviceId: 'svc', groupId: 'g' }).message).toBe(
      'Unknown event-bus option "groupId": did you mean "consumer.groupId"?',
    );
    expect(configurationError({ serviceId: 'svc', enabled: false }).message).toMatch(
      /^Unknown event-bus option "enabled"\. The options take serviceId, transport, dataSource, /,
    );
  });

  it('says which transport type a key belongs to', () => {
    const error = configurationError({
      serviceId: 'svc',
      transport: { type: 'in-memory', brokers: ['127.0.0.1:9092'] },
    });

    expect(error.message).toBe(
      'Unknown event-bus option "transport.brokers": it applies only when "transport.type" is "kafka" or "platformatic-kafka".',
    );
  });

  it('does not take inherited names such as "toString" or "__proto__" for options', () => {
    const parsed: unknown = JSON.parse(
      '{ "serviceId": "svc", "__proto__": {}, "outbox": { "toString": 1 } }',
    );

    const lines = configurationError(parsed).message.split('\n');

    expect(lines[0]).toBe('Unknown event-bus options:');
    expect(lines[1]).toMatch(/^ {2}- "__proto__"\. The options take serviceId, transport, /);
    expect(lines[2]).toMatch(/^ {2}- "outbox\.toString"\. "outbox" takes enabled, batchSize, /);
  });

  it('does not walk into objects the bus passes on: TLS, SASL, transports, brokers, registries, functions', () => {
    const isTransient = Object.assign(() => undefined, { someProperty: 1 });
    const naming = Object.assign((type: string) => type, { prefix: 'x' });
    const ssl = { ca: ['pem'], rejectUnauthorized: false, checkServerIdentity: () => undefined };
    const sasl = { mechanism: 'plain', username: 'u', password: 'p', authorizationIdentity: 'z' };

    expect(() =>
      resolveEventBusOptions({
        serviceId: 'svc',
        transport: {
          type: 'kafka',
          brokers: ['127.0.0.1:9092'],
          ssl,
          sasl,
        } as EventBusModuleOptions['transport'],
        consumer: { isTransient },
        topics: { naming },
        metrics: { registry: register },
        interceptors: [{ beforePublish: () => undefined, anything: 1 } as never],
      }),
    ).not.toThrow();
    expect(() =>
      resolveEventBusOptions({
        serviceId: 'svc',
        transport: { type: 'in-memory', broker: new InMemoryBroker() },
      }),
    ).not.toThrow();
    expect(() =>
      resolveEventBusOptions({
        serviceId: 'svc',
        transport: { type: 'custom', transport: new InMemoryTransport(new InMemoryBroker()) },
      }),
    ).not.toThrow();
  });

  it('leaves the keys of an unknown transport type to the type check', () => {
    const error = configurationError({
      serviceId: 'svc',
      transport: { type: 'rabbitmq', url: 'amqp://' },
    });

    expect(error.message).toContain('Invalid event-bus option "transport.type"');
  });

  it('takes null sections as not given', () => {
    const resolved = resolveEventBusOptions({
      serviceId: 'svc',
      outbox: null,
      tracing: { log: null },
    } as unknown as EventBusModuleOptions);

    // outbox.notify has no fixed default: it follows outbox.enabled (on by default).
    expect(resolved.outbox).toEqual({ ...EVENT_BUS_DEFAULTS.outbox, notify: false });
    expect(resolved.tracing.log).toEqual(EVENT_BUS_DEFAULTS.tracing.log);
  });

  it.each([
    ['outbox', { outbox: 5 }, '5'],
    ['consumer.retry', { consumer: { retry: [] } }, 'an array'],
    ['tracing.log', { tracing: { log: 'on' } }, '"on"'],
  ])('rejects a section "%s" that is not an object', (path, options, got) => {
    const error = configurationError({ serviceId: 'svc', ...options });

    expect(error.message).toBe(
      `Invalid event-bus option "${path}": expected an object, got ${got}.`,
    );
  });
});

describe('option keys through EventBusModule', () => {
  class BusOptions {
    create(): EventBusModuleOptions {
      return { serviceId: 'svc', consumer: { concurency: 2 } } as EventBusModuleOptions;
    }
  }

  /** Compiles an app importing `bus`; the error compile() failed with, or undefined. */
  async function compileError(bus: DynamicModule): Promise<unknown> {
    const app = await Test.createTestingModule({ imports: [bus] })
      .setLogger(new RecordingLogger())
      .compile()
      .catch((error: unknown) => error);
    if (!(app instanceof TestingModule)) return app;
    await app.close();
    return undefined;
  }

  const expected =
    'Unknown event-bus option "consumer.concurency": did you mean "consumer.concurrency"?';

  it.each<[string, () => DynamicModule]>([
    [
      'forRoot',
      () =>
        EventBusModule.forRoot({
          serviceId: 'svc',
          consumer: { concurency: 2 },
        } as EventBusModuleOptions),
    ],
    [
      'forRootAsync with useFactory',
      () =>
        EventBusModule.forRootAsync({
          useFactory: async () =>
            ({ serviceId: 'svc', consumer: { concurency: 2 } }) as EventBusModuleOptions,
        }),
    ],
    ['forRootAsync with useClass', () => EventBusModule.forRootAsync({ useClass: BusOptions })],
  ])('fails startup on an unknown key given to %s', async (_, bus) => {
    const error = await compileError(bus());

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toBe(expected);
  });

  it('does not count the module extra isGlobal as an option', async () => {
    const transport = { type: 'in-memory' as const, broker: new InMemoryBroker() };

    expect(
      await compileError(EventBusModule.forRoot({ serviceId: 'svc', transport, isGlobal: false })),
    ).toBeUndefined();
    expect(
      await compileError(
        EventBusModule.forRootAsync({
          isGlobal: false,
          useFactory: () => ({ serviceId: 'svc', transport }),
        }),
      ),
    ).toBeUndefined();
  });
});
