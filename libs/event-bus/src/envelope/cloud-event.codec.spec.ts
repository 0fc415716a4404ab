import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import { IsEmail, IsInt, IsString, Min } from 'class-validator';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { InvalidEventError, InvalidEventReason } from '../errors/invalid-event.error';
import { resolveEventBusOptions } from '../options/resolve-event-bus-options';
import type { EventBusModuleOptions } from '../interfaces/event-bus-options.interface';
import type { IncomingRecord, OutgoingRecord } from '../transports/event-transport.interface';
import { asReceived } from '../transports/record-bytes';
import { CloudEventCodec } from './cloud-event.codec';
import type { EncodableEvent, EventEnvelope } from './event-envelope.interface';
import { EventTypeRegistry } from './event-type.registry';
import { UpcasterRegistry } from './upcaster.registry';
import { UpcastStep } from '../consumer/pipeline/upcast.step';
import { ValidateStep } from '../consumer/pipeline/validate.step';

@IntegrationEvent({ type: 'user.registered', version: 2, key: (e: UserRegistered) => e.userId })
class UserRegistered {
  @IsString()
  userId!: string;

  @IsEmail()
  email!: string;

  @IsString()
  locale!: string;
}

@IntegrationEvent({ type: 'order.placed', version: 3 })
class OrderPlaced {
  @IsString()
  orderId!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

interface Codec {
  codec: CloudEventCodec;
  types: EventTypeRegistry;
  upcasters: UpcasterRegistry;
  /** The consume pipeline's upcast step, then its validate step, as a handler of `target` gets them. */
  materialize<T extends object>(envelope: EventEnvelope, target: Type<T>): Promise<T>;
}

function createCodec(options: Partial<EventBusModuleOptions> = {}): Codec {
  const resolved = resolveEventBusOptions({ serviceId: 'svc', ...options });
  const types = new EventTypeRegistry(resolved);
  const upcasters = new UpcasterRegistry();
  types.register(UserRegistered);
  types.register(OrderPlaced);
  upcasters.register(
    { type: 'user.registered', fromVersion: 1 },
    { upcast: (v1) => ({ ...(v1 as object), locale: 'en' }) },
  );
  // order.placed has an upcaster from 2 but none from 1.
  upcasters.register(
    { type: 'order.placed', fromVersion: 2 },
    { upcast: (v2) => ({ ...(v2 as object), quantity: 1 }) },
  );
  const upcast = new UpcastStep(types, upcasters);
  const validate = new ValidateStep();
  return {
    codec: new CloudEventCodec(resolved),
    types,
    upcasters,
    materialize: (envelope, target) =>
      validate.validate(envelope.type, target, upcast.upcast(envelope, target)),
  };
}

const CREATED_AT = new Date('2025-03-04T05:06:07.089Z');

function encodable(overrides: Partial<EncodableEvent> = {}): EncodableEvent {
  return {
    id: '0195f2a0-0000-7000-8000-000000000001',
    type: 'user.registered',
    version: 2,
    key: 'user-1',
    topic: 'user.registered',
    destination: null,
    payload: JSON.stringify({ userId: 'user-1', email: 'ada@example.com', locale: 'fr' }),
    headers: {},
    createdAt: CREATED_AT,
    ...overrides,
  };
}

/** What a transport would hand over for an outgoing record. */
function received(record: OutgoingRecord, overrides: Partial<IncomingRecord> = {}): IncomingRecord {
  return {
    topic: record.topic,
    partition: 0,
    offset: '0',
    ...asReceived(record),
    timestamp: Date.now(),
    ...overrides,
  };
}

function incoming(
  value: string | Buffer,
  headers: Record<string, string | undefined> = {},
): IncomingRecord {
  const base: Record<string, string | undefined> = {
    ce_specversion: '1.0',
    ce_id: 'event-1',
    ce_source: 'other-service',
    ce_type: 'user.registered',
    ce_dataversion: '2',
    ce_time: CREATED_AT.toISOString(),
    'content-type': 'application/json',
    ...headers,
  };
  const clean = Object.fromEntries(
    Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return {
    topic: 'user.registered',
    partition: 0,
    offset: '7',
    ...asReceived({ key: 'user-1', value: Buffer.from(value), headers: clean }),
    timestamp: CREATED_AT.getTime(),
  };
}

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: 'event-1',
    type: 'user.registered',
    version: 2,
    source: 'other-service',
    time: CREATED_AT,
    key: 'user-1',
    destination: undefined,
    correlationId: undefined,
    traceparent: undefined,
    tracestate: undefined,
    headers: {},
    data: { userId: 'user-1', email: 'ada@example.com', locale: 'fr' },
    ...overrides,
  };
}

function reasonOf(action: () => unknown): InvalidEventReason {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return (error as InvalidEventError).reason;
  }
  throw new Error('expected an InvalidEventError');
}

async function asyncReasonOf(action: () => Promise<unknown>): Promise<InvalidEventError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error('expected an InvalidEventError');
}

describe('CloudEventCodec, with the pipeline steps that read what it decodes (UpcastStep, ValidateStep)', () => {
  describe('encode', () => {
    it('writes the CloudEvents binary-mode headers, the key and the payload', () => {
      const { codec } = createCodec();

      const record = codec.encode(encodable());

      expect(record.topic).toBe('user.registered');
      expect(record.key).toBe('user-1');
      expect(JSON.parse(record.value.toString('utf8'))).toEqual({
        userId: 'user-1',
        email: 'ada@example.com',
        locale: 'fr',
      });
      expect(record.headers).toEqual({
        ce_specversion: '1.0',
        ce_id: '0195f2a0-0000-7000-8000-000000000001',
        ce_source: 'svc',
        ce_type: 'user.registered',
        ce_time: '2025-03-04T05:06:07.089Z',
        ce_dataversion: '2',
        'content-type': 'application/json',
      });
    });

    it('adds ce_destination when the event is addressed to one service', () => {
      const { codec } = createCodec();

      const record = codec.encode(encodable({ destination: 'billing' }));

      expect(record.headers.ce_destination).toBe('billing');
    });

    it('keeps extra headers but never lets them override the CloudEvents attributes', () => {
      const { codec } = createCodec();

      const record = codec.encode(
        encodable({
          headers: {
            traceparent: '00-abc-def-01',
            ce_id: 'forged',
            ce_source: 'forged',
            ce_type: 'forged',
          },
        }),
      );

      expect(record.headers.traceparent).toBe('00-abc-def-01');
      expect(record.headers.ce_id).toBe('0195f2a0-0000-7000-8000-000000000001');
      expect(record.headers.ce_source).toBe('svc');
      expect(record.headers.ce_type).toBe('user.registered');
    });

    it('sends a null key as null', () => {
      const { codec } = createCodec();

      expect(codec.encode(encodable({ key: null })).key).toBeNull();
    });
  });

  describe('decode', () => {
    it('round-trips what encode produced', () => {
      const { codec } = createCodec();
      const record = codec.encode(
        encodable({
          destination: 'svc',
          headers: { ce_correlationid: 'corr-1', traceparent: 'tp', tracestate: 'ts' },
        }),
      );

      const decoded = codec.decode(received(record));

      expect(decoded).toEqual({
        id: '0195f2a0-0000-7000-8000-000000000001',
        type: 'user.registered',
        version: 2,
        source: 'svc',
        time: CREATED_AT,
        key: 'user-1',
        destination: 'svc',
        correlationId: 'corr-1',
        traceparent: 'tp',
        tracestate: 'ts',
        headers: record.headers,
        data: { userId: 'user-1', email: 'ada@example.com', locale: 'fr' },
      });
    });

    it('materializes a round-tripped event into an instance of its class', async () => {
      const { codec, materialize } = createCodec();
      const decoded = codec.decode(received(codec.encode(encodable())));

      const event = await materialize(decoded, UserRegistered);

      expect(event).toBeInstanceOf(UserRegistered);
      expect(event).toEqual(
        Object.assign(new UserRegistered(), {
          userId: 'user-1',
          email: 'ada@example.com',
          locale: 'fr',
        }),
      );
    });

    it('reads a record without ce_dataversion as version 1', () => {
      const { codec } = createCodec();

      expect(codec.decode(incoming('{}', { ce_dataversion: undefined })).version).toBe(1);
    });

    it('takes the broker timestamp when ce_time is absent', () => {
      const { codec } = createCodec();
      const record = incoming('{}', { ce_time: undefined });

      expect(codec.decode({ ...record, timestamp: 1_700_000_000_000 }).time).toEqual(
        new Date(1_700_000_000_000),
      );
    });

    it('accepts a JSON content type with parameters', () => {
      const { codec } = createCodec();

      expect(
        codec.decode(incoming('{}', { 'content-type': 'application/json; charset=utf-8' })).data,
      ).toEqual({});
    });

    describe('hostile input', () => {
      it('rejects truncated JSON as malformed', () => {
        const { codec } = createCodec();

        expect(reasonOf(() => codec.decode(incoming('{"userId":"user-1","em')))).toBe('malformed');
      });

      it('rejects a __proto__ key as malformed and pollutes nothing', () => {
        const { codec } = createCodec();
        const value = '{"userId":"u","__proto__":{"polluted":"yes","isAdmin":true}}';

        expect(reasonOf(() => codec.decode(incoming(value)))).toBe('malformed');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      });

      it('rejects a nested __proto__ key as malformed', () => {
        const { codec } = createCodec();

        expect(
          reasonOf(() => codec.decode(incoming('{"a":{"b":{"__proto__":{"polluted":1}}}}'))),
        ).toBe('malformed');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });

      it('rejects constructor.prototype as malformed and pollutes nothing', () => {
        const { codec } = createCodec();
        const value = '{"constructor":{"prototype":{"polluted":"yes"}}}';

        expect(reasonOf(() => codec.decode(incoming(value)))).toBe('malformed');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });

      it('explains why a poisoned payload was refused', () => {
        const { codec } = createCodec();

        expect(() => codec.decode(incoming('{"__proto__":{}}'))).toThrow(
          'forbidden __proto__ or constructor key',
        );
        expect(() => codec.decode(incoming('{'))).toThrow('invalid JSON');
      });

      it('rejects a value over codec.maxMessageBytes as too_large, before parsing it', () => {
        const { codec } = createCodec({ codec: { maxMessageBytes: 64 } });
        const atLimit = JSON.stringify({ pad: 'x'.repeat(64 - 10) });
        expect(Buffer.byteLength(atLimit)).toBe(64);

        expect(codec.decode(incoming(atLimit)).data).toEqual({ pad: 'x'.repeat(54) });
        // One byte more, and not even valid JSON: the size check comes first.
        expect(reasonOf(() => codec.decode(incoming(`${atLimit.slice(0, -1)}  `)))).toBe(
          'too_large',
        );
        expect(() => codec.decode(incoming('x'.repeat(65)))).toThrow(
          'Event payload is 65 bytes, over the limit of 64 bytes (codec.maxMessageBytes).',
        );
      });

      it.each(['ce_id', 'ce_type', 'ce_source', 'ce_specversion'])(
        'rejects a record without %s as malformed',
        (header) => {
          const { codec } = createCodec();

          expect(reasonOf(() => codec.decode(incoming('{}', { [header]: undefined })))).toBe(
            'malformed',
          );
          expect(reasonOf(() => codec.decode(incoming('{}', { [header]: '' })))).toBe('malformed');
          expect(() => codec.decode(incoming('{}', { [header]: undefined }))).toThrow(
            `Record has no "${header}" header.`,
          );
        },
      );

      it('rejects an over-long header as malformed', () => {
        const { codec } = createCodec();

        expect(reasonOf(() => codec.decode(incoming('{}', { ce_id: 'x'.repeat(1025) })))).toBe(
          'malformed',
        );
        expect(codec.decode(incoming('{}', { ce_id: 'x'.repeat(1024) })).id).toHaveLength(1024);
      });

      it.each(['0.3', '2.0', '1', '1.0 '])('rejects specversion %j as malformed', (specVersion) => {
        const { codec } = createCodec();

        expect(reasonOf(() => codec.decode(incoming('{}', { ce_specversion: specVersion })))).toBe(
          'malformed',
        );
      });

      it.each(['two', '0', '-1', '1.5', '01', '1e3', ' 2', '0x2', '1234567890'])(
        'rejects ce_dataversion %j as malformed',
        (version) => {
          const { codec } = createCodec();

          expect(reasonOf(() => codec.decode(incoming('{}', { ce_dataversion: version })))).toBe(
            'malformed',
          );
        },
      );

      it('rejects an unparseable ce_time as malformed', () => {
        const { codec } = createCodec();

        expect(reasonOf(() => codec.decode(incoming('{}', { ce_time: 'yesterday' })))).toBe(
          'malformed',
        );
      });

      it('rejects a non-JSON content type as malformed', () => {
        const { codec } = createCodec();

        expect(reasonOf(() => codec.decode(incoming('{}', { 'content-type': 'text/plain' })))).toBe(
          'malformed',
        );
      });

      it('rejects an unknown type as unknown_type when materializing', async () => {
        const { materialize } = createCodec();

        const error = await asyncReasonOf(() =>
          materialize(envelope({ type: 'user.deleted' }), UserRegistered),
        );

        expect(error.reason).toBe('unknown_type');
        expect(error.message).toBe(
          'Unknown event type "user.deleted": no event class is registered for it.',
        );
      });

      it('rejects a known type handed to the class of another type as unknown_type', async () => {
        const { materialize } = createCodec();

        const error = await asyncReasonOf(() =>
          materialize(envelope({ type: 'order.placed', version: 3 }), UserRegistered),
        );

        expect(error.reason).toBe('unknown_type');
      });

      it.each([
        '../../etc/passwd',
        '/etc/passwd',
        'child_process',
        'node:child_process',
        'fs',
        './cloud-event.codec',
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
      ])('resolves type %j only through the registry: unknown_type', async (type) => {
        const { codec, types, materialize } = createCodec();
        const record = incoming('{"userId":"u"}', { ce_type: type });

        const decoded = codec.decode(record);
        const error = await asyncReasonOf(() => materialize(decoded, UserRegistered));

        expect(decoded.type).toBe(type);
        expect(error.reason).toBe('unknown_type');
        expect(types.has(type)).toBe(false);
        expect(types.latest(type)).toBeUndefined();
      });

      it('rejects a version newer than the class as unsupported_version', async () => {
        const { materialize } = createCodec();

        const error = await asyncReasonOf(() =>
          materialize(envelope({ version: 3 }), UserRegistered),
        );

        expect(error.reason).toBe('unsupported_version');
        expect(error.message).toContain('newer than the newest known version 2');
      });

      it('rejects fields of the wrong type as validation_failed, naming them', async () => {
        const { materialize } = createCodec();

        const error = await asyncReasonOf(() =>
          materialize(
            envelope({ data: { userId: 42, email: 'not-an-email', locale: 'fr' } }),
            UserRegistered,
          ),
        );

        expect(error.reason).toBe('validation_failed');
        expect(error.message).toContain('userId');
        expect(error.message).toContain('email');
        expect(error.message).not.toContain('locale');
      });

      it('rejects missing required fields as validation_failed', async () => {
        const { materialize } = createCodec();

        const error = await asyncReasonOf(() =>
          materialize(
            envelope({ type: 'order.placed', version: 3, data: { orderId: 'o-1' } }),
            OrderPlaced,
          ),
        );

        expect(error.reason).toBe('validation_failed');
        expect(error.message).toContain('quantity');
      });

      it.each([[null], [[1, 2]], ['a string'], [42]])(
        'rejects data %j that is not a JSON object as validation_failed',
        async (data) => {
          const { materialize } = createCodec();

          const error = await asyncReasonOf(() => materialize(envelope({ data }), UserRegistered));

          expect(error.reason).toBe('validation_failed');
        },
      );

      it('marks every decoding failure non-retriable', () => {
        const { codec } = createCodec();

        try {
          codec.decode(incoming('{'));
        } catch (error) {
          expect((error as InvalidEventError).retriable).toBe(false);
          return;
        }
        throw new Error('expected decode to fail');
      });
    });

    describe('upcasting', () => {
      it('upcasts an older version through the registered upcaster before validating', async () => {
        const { codec, materialize } = createCodec();
        const decoded = codec.decode(
          incoming(JSON.stringify({ userId: 'user-1', email: 'ada@example.com' }), {
            ce_dataversion: '1',
          }),
        );

        const event = await materialize(decoded, UserRegistered);

        expect(decoded.version).toBe(1);
        expect(event).toBeInstanceOf(UserRegistered);
        expect(event).toMatchObject({ userId: 'user-1', email: 'ada@example.com', locale: 'en' });
      });

      it('chains upcasters step by step', async () => {
        const { upcasters, materialize } = createCodec();
        upcasters.register(
          { type: 'order.placed', fromVersion: 1 },
          { upcast: (v1) => ({ orderId: (v1 as { id: string }).id }) },
        );

        const event = await materialize(
          envelope({ type: 'order.placed', version: 1, data: { id: 'o-9' } }),
          OrderPlaced,
        );

        expect(event).toEqual(Object.assign(new OrderPlaced(), { orderId: 'o-9', quantity: 1 }));
      });

      it('rejects a version with a missing upcaster step as unsupported_version', async () => {
        const { materialize } = createCodec();

        const error = await asyncReasonOf(() =>
          materialize(
            envelope({ type: 'order.placed', version: 1, data: { id: 'o-9' } }),
            OrderPlaced,
          ),
        );

        expect(error.reason).toBe('unsupported_version');
        expect(error.message).toBe(
          'Event "order.placed" version 1 cannot be upcast to version 3: no upcaster from version 1.',
        );
      });

      it('reports an upcaster that throws as unsupported_version with the cause', async () => {
        const { upcasters, materialize } = createCodec();
        const failure = new Error('no id in v1');
        upcasters.register(
          { type: 'order.placed', fromVersion: 1 },
          {
            upcast: () => {
              throw failure;
            },
          },
        );

        const error = await asyncReasonOf(() =>
          materialize(envelope({ type: 'order.placed', version: 1, data: {} }), OrderPlaced),
        );

        expect(error.reason).toBe('unsupported_version');
        expect(error.message).toContain('no id in v1');
        expect(error.cause).toBe(failure);
      });

      it('validates what the upcaster produced', async () => {
        const { materialize } = createCodec();

        const error = await asyncReasonOf(() =>
          materialize(
            envelope({ version: 1, data: { userId: 'user-1', email: 'nope' } }),
            UserRegistered,
          ),
        );

        expect(error.reason).toBe('validation_failed');
        expect(error.message).toContain('email');
      });
    });
  });

  describe('serialize', () => {
    it('returns the JSON of the event', () => {
      const { codec } = createCodec();
      const event = Object.assign(new UserRegistered(), {
        userId: 'u',
        email: 'a@b.c',
        locale: 'fr',
      });

      expect(JSON.parse(codec.serialize('user.registered', event))).toEqual({
        userId: 'u',
        email: 'a@b.c',
        locale: 'fr',
      });
    });

    it('rejects a payload over codec.maxMessageBytes as too_large', () => {
      const { codec } = createCodec({ codec: { maxMessageBytes: 64 } });

      expect(reasonOf(() => codec.serialize('user.registered', { pad: 'x'.repeat(100) }))).toBe(
        'too_large',
      );
      expect(() => codec.serialize('user.registered', { pad: 'x'.repeat(100) })).toThrow(
        /^user\.registered: Event payload is 110 bytes, over the limit of 64 bytes/,
      );
    });

    it('counts bytes, not characters', () => {
      const { codec } = createCodec({ codec: { maxMessageBytes: 64 } });
      // 30 characters, 60 bytes of UTF-8, 71 bytes with the JSON around them.
      const payload = { pad: 'é'.repeat(30) };

      expect(JSON.stringify(payload).length).toBeLessThanOrEqual(64);
      expect(reasonOf(() => codec.serialize('user.registered', payload))).toBe('too_large');
    });

    it('accepts a payload of exactly codec.maxMessageBytes', () => {
      const { codec } = createCodec({ codec: { maxMessageBytes: 64 } });
      const payload = { pad: 'x'.repeat(54) };

      expect(Buffer.byteLength(codec.serialize('user.registered', payload))).toBe(64);
    });
  });
});
