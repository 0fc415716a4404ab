import 'reflect-metadata';
import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import { InvalidEventError, InvalidEventReason } from '../errors/invalid-event.error';
import type {
  EventBusModuleOptions,
  ResolvedEventBusOptions,
} from '../interfaces/event-bus-options.interface';
import type { PayloadCodec } from '../interfaces/payload-codec.interface';
import { resolveEventBusOptions } from '../options/resolve-event-bus-options';
import type { IncomingRecord, OutgoingRecord } from '../transports/event-transport.interface';
import { asReceived } from '../transports/record-bytes';
import { CloudEventCodec } from './cloud-event.codec';
import type { EncodableEvent, EventEnvelope } from './event-envelope.interface';
import { structuredLimit } from './structured-cloud-event';

function createCodec(options: Partial<EventBusModuleOptions> = {}): CloudEventCodec {
  const resolved: ResolvedEventBusOptions = resolveEventBusOptions({
    serviceId: 'mycontext',
    ...options,
  });
  return new CloudEventCodec(resolved);
}

const DATA = { appinfoA: 'abc', appinfoB: 123, appinfoC: true };
const TIME = '2018-04-05T03:56:24Z';

function record(
  value: string | Buffer,
  headers: Record<string, string>,
  key: string | null = 'mykey',
): IncomingRecord {
  return {
    topic: 'mytopic',
    partition: 0,
    offset: '1',
    ...asReceived({ key, value: Buffer.from(value), headers }),
    timestamp: Date.parse('2025-01-01T00:00:00Z'),
  };
}

/** The Kafka binding's structured-mode example (3.3.4), with JSON data instead of XML. */
const STRUCTURED_HEADERS = { 'content-type': 'application/cloudevents+json; charset=UTF-8' };
const spec334 = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  specversion: '1.0',
  type: 'com.example.someevent',
  source: '/mycontext/subcontext',
  id: '1234-1234-1234',
  time: TIME,
  datacontenttype: 'application/json',
  data: DATA,
  ...overrides,
});
const structured = (event: Record<string, unknown>, headers = STRUCTURED_HEADERS) =>
  record(JSON.stringify(event), headers);

/** The Kafka binding's binary-mode example (3.2.5), with JSON data instead of Avro. */
const binary325 = (): IncomingRecord =>
  record(JSON.stringify(DATA), {
    ce_specversion: '1.0',
    ce_type: 'com.example.someevent',
    ce_source: '/mycontext/subcontext',
    ce_id: '1234-1234-1234',
    ce_time: TIME,
    'content-type': 'application/json',
  });

function encodable(overrides: Partial<EncodableEvent> = {}): EncodableEvent {
  return {
    id: '0195f2a0-0000-7000-8000-000000000001',
    type: 'com.example.someevent',
    version: 2,
    key: 'mykey',
    topic: 'mytopic',
    destination: 'billing',
    payload: JSON.stringify(DATA),
    headers: {
      ce_correlationid: 'corr-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=1',
      'x-tenant': 'acme',
    },
    createdAt: new Date(TIME),
    ...overrides,
  };
}

/** What a transport hands over for a record the bus sent. */
const received = (sent: OutgoingRecord): IncomingRecord => ({
  topic: sent.topic,
  partition: 0,
  offset: '0',
  ...asReceived(sent),
  timestamp: Date.now(),
});

function failure(action: () => unknown): InvalidEventError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error('expected an InvalidEventError');
}
const reasonOf = (action: () => unknown): InvalidEventReason => failure(action).reason;

/** JSON, base64'd, under its own media type: a payload codec only tests know. */
class Base64JsonCodec implements PayloadCodec {
  readonly contentType = 'application/x-test';
  encode(data: object): Buffer {
    return Buffer.from(Buffer.from(JSON.stringify(data)).toString('base64'));
  }
  decode(bytes: Buffer): object {
    return JSON.parse(Buffer.from(bytes.toString(), 'base64').toString()) as object;
  }
}

describe('CloudEventCodec in structured mode', () => {
  describe('on receipt', () => {
    it("reads the Kafka binding's structured example as the same envelope as its binary example", () => {
      const codec = createCodec();

      const fromStructured = codec.decode(structured(spec334()));
      const fromBinary = codec.decode(binary325());

      expect(fromStructured).toEqual(fromBinary);
      expect(fromStructured).toMatchObject({
        id: '1234-1234-1234',
        type: 'com.example.someevent',
        source: '/mycontext/subcontext',
        version: 1,
        time: new Date(TIME),
        key: 'mykey',
        data: DATA,
      });
    });

    it("reads the JSON format's example with extensions, a null attribute and JSON data", () => {
      const codec = createCodec();
      // json-format.md 3.2, the third example, as it stands.
      const value = `{
        "specversion" : "1.0",
        "type" : "com.example.someevent",
        "source" : "/mycontext",
        "subject": null,
        "id" : "C234-1234-1234",
        "time" : "2018-04-05T17:31:00Z",
        "comexampleextension1" : "value",
        "comexampleothervalue" : 5,
        "datacontenttype" : "application/json",
        "data" : {
            "appinfoA" : "abc",
            "appinfoB" : 123,
            "appinfoC" : true
        }
      }`;

      const envelope = codec.decode(record(value, STRUCTURED_HEADERS));

      expect(envelope.data).toEqual(DATA);
      // The same headers the spec shows for the event re-encoded in binary mode.
      expect(envelope.headers).toEqual({
        ce_specversion: '1.0',
        ce_type: 'com.example.someevent',
        ce_source: '/mycontext',
        ce_id: 'C234-1234-1234',
        ce_time: '2018-04-05T17:31:00Z',
        ce_comexampleextension1: 'value',
        ce_comexampleothervalue: '5',
        'content-type': 'application/json',
      });
    });

    it('reads the bus extensions: dataversion, destination, correlation id and trace context', () => {
      const codec = createCodec();

      const envelope = codec.decode(
        structured(
          spec334({
            dataversion: '3',
            destination: 'billing',
            correlationid: 'corr-9',
            traceparent: '00-abc-def-01',
            tracestate: 'v=1',
          }),
        ),
      );

      expect(envelope).toMatchObject({
        version: 3,
        destination: 'billing',
        correlationId: 'corr-9',
        traceparent: '00-abc-def-01',
        tracestate: 'v=1',
      });
    });

    it('takes trace context from the headers when the event has none, the event first', () => {
      const codec = createCodec();
      const headers = { ...STRUCTURED_HEADERS, traceparent: '00-from-header-01' };

      expect(codec.decode(structured(spec334(), headers)).traceparent).toBe('00-from-header-01');
      expect(
        codec.decode(structured(spec334({ traceparent: '00-from-event-01' }), headers)).traceparent,
      ).toBe('00-from-event-01');
    });

    it('takes its attributes from the value alone, not from binary-mode headers beside it', () => {
      const codec = createCodec();
      const headers = { ...STRUCTURED_HEADERS, ce_id: 'from-header' };

      expect(() => codec.decode(structured(spec334({ id: undefined }), headers))).toThrow(
        'Structured CloudEvent has no "id" attribute.',
      );
    });

    it('accepts JSON data sent as data_base64, and a JSON type of another name', () => {
      const codec = createCodec();
      const base64 = Buffer.from(JSON.stringify(DATA)).toString('base64');

      expect(
        codec.decode(structured(spec334({ data: undefined, data_base64: base64 }))).data,
      ).toEqual(DATA);
      expect(
        codec.decode(structured(spec334({ datacontenttype: 'application/vnd.acme+json' }))).data,
      ).toEqual(DATA);
    });

    it('takes a missing datacontenttype as application/json and a missing time from the broker', () => {
      const codec = createCodec();
      const input = structured(spec334({ datacontenttype: undefined, time: null }));

      const envelope = codec.decode(input);

      expect(envelope.headers['content-type']).toBe('application/json');
      expect(envelope.time).toEqual(new Date(input.timestamp));
    });

    it('keeps the record key as the partition key', () => {
      const codec = createCodec();

      expect(codec.decode(record(JSON.stringify(spec334()), STRUCTURED_HEADERS, null)).key).toBe(
        null,
      );
    });

    it('reads what the CloudEvents SDK writes in structured mode', () => {
      const codec = createCodec();
      const event = new CloudEvent({
        id: 'sdk-1',
        type: 'com.example.someevent',
        source: '/sdk',
        data: DATA,
        dataversion: '1',
        partitionkey: 'sdk-key',
      });
      const message = Kafka.structured(event);

      const envelope = codec.decode(
        record(message.value as string, message.headers as Record<string, string>, 'sdk-key'),
      );

      expect(envelope).toMatchObject({ id: 'sdk-1', source: '/sdk', key: 'sdk-key', data: DATA });
    });

    describe('malformed events', () => {
      it.each([
        ['an array', '[]'],
        ['a string', '"event"'],
        ['null', 'null'],
        ['truncated JSON', '{"specversion":"1.0","id":'],
      ])('rejects a value that is %s', (_what, value) => {
        const codec = createCodec();

        expect(reasonOf(() => codec.decode(record(value, STRUCTURED_HEADERS)))).toBe('malformed');
      });

      it.each([
        ['at the top', '{"__proto__":{"polluted":1},"specversion":"1.0"}'],
        ['in the data', JSON.stringify(spec334()).replace('"appinfoA"', '"__proto__":{"x":1},"a"')],
        ['as constructor.prototype', '{"constructor":{"prototype":{"polluted":1}}}'],
      ])('rejects a poisoned key %s and pollutes nothing', (_where, value) => {
        const codec = createCodec();

        expect(() => codec.decode(record(value, STRUCTURED_HEADERS))).toThrow(
          'forbidden __proto__ or constructor key',
        );
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });

      it.each(['id', 'source', 'type', 'specversion'])(
        'rejects an event without %s, or with it empty, naming it',
        (name) => {
          const codec = createCodec();

          expect(() => codec.decode(structured(spec334({ [name]: undefined })))).toThrow(
            `Structured CloudEvent has no "${name}" attribute.`,
          );
          expect(reasonOf(() => codec.decode(structured(spec334({ [name]: '' }))))).toBe(
            'malformed',
          );
          expect(reasonOf(() => codec.decode(structured(spec334({ [name]: null }))))).toBe(
            'malformed',
          );
        },
      );

      it.each(['0.3', '1', '2.0'])('rejects specversion %j', (specversion) => {
        const codec = createCodec();

        expect(() => codec.decode(structured(spec334({ specversion })))).toThrow(
          `Unsupported CloudEvents specversion "${specversion}".`,
        );
      });

      it.each([
        ['id', 1234],
        ['source', { uri: '/x' }],
        ['type', ['com.example.someevent']],
        ['dataversion', 2],
        ['time', 1_522_900_584_000],
        ['traceparent', true],
        ['correlationid', 7],
        ['destination', false],
        ['datacontenttype', 1],
      ])('rejects a %s that is not a string', (name, value) => {
        const codec = createCodec();

        const error = failure(() => codec.decode(structured(spec334({ [name]: value }))));

        expect(error.reason).toBe('malformed');
        expect(error.message).toMatch(new RegExp(`^Attribute "${name}" is .*, not a string\\.$`));
      });

      it.each([
        ['an object', { a: 1 }],
        ['an array', [1]],
        ['a fraction', 1.5],
      ])('rejects an extension attribute that is %s', (_what, value) => {
        const codec = createCodec();

        expect(reasonOf(() => codec.decode(structured(spec334({ comexample: value }))))).toBe(
          'malformed',
        );
      });

      it.each(['Type', 'ce_id', 'content-type', 'x'.repeat(65), ''])(
        'rejects a member named %j, which no attribute can be',
        (name) => {
          const codec = createCodec();

          expect(reasonOf(() => codec.decode(structured(spec334({ [name]: 'v' }))))).toBe(
            'malformed',
          );
        },
      );

      it.each(['0', '01', 'two', '1.5', '1234567890'])('rejects dataversion %j', (version) => {
        const codec = createCodec();

        expect(() => codec.decode(structured(spec334({ dataversion: version })))).toThrow(
          `Attribute "dataversion" ${JSON.stringify(version)} is not a positive integer.`,
        );
      });

      it('rejects an unparseable time', () => {
        const codec = createCodec();

        expect(reasonOf(() => codec.decode(structured(spec334({ time: 'yesterday' }))))).toBe(
          'malformed',
        );
      });

      it('rejects an attribute over 1024 characters, and takes one of 1024', () => {
        const codec = createCodec();

        expect(codec.decode(structured(spec334({ id: 'x'.repeat(1024) }))).id).toHaveLength(1024);
        expect(() => codec.decode(structured(spec334({ subject: 'x'.repeat(1025) })))).toThrow(
          'Attribute "subject" is longer than 1024 characters.',
        );
      });

      it('rejects more than 64 members', () => {
        const codec = createCodec();
        const extensions = Object.fromEntries(
          Array.from({ length: 57 }, (_, i) => [`ext${i}`, 'v']),
        );

        expect(codec.decode(structured(spec334(extensions))).id).toBe('1234-1234-1234');
        expect(() => codec.decode(structured(spec334({ ...extensions, ext57: 'v' })))).toThrow(
          'Structured CloudEvent has 65 members, over the limit of 64.',
        );
      });

      it.each([
        ['no data at all', { data: undefined }, 'neither "data" nor "data_base64"'],
        ['both data and data_base64', { data_base64: 'e30=' }, 'both "data" and "data_base64"'],
        ['null data', { data: null }, '"data" is null, not a JSON object'],
        ['an array as data', { data: [DATA] }, '"data" is an array, not a JSON object'],
        // json-format.md 3.2, the fourth example: a JSON string is data, never parsed further.
        ['a string as data', { data: "I'm just a string" }, '"data" is a string, not a JSON'],
        ['data_base64 that is not base64', { data: undefined, data_base64: 'e30*' }, 'not base64'],
        ['data_base64 that is a number', { data: undefined, data_base64: 7 }, 'an integer'],
        [
          'data_base64 that is not JSON',
          { data: undefined, data_base64: Buffer.from('<xml/>').toString('base64') },
          'invalid JSON',
        ],
        [
          'data_base64 that is JSON but no object',
          { data: undefined, data_base64: Buffer.from('[1]').toString('base64') },
          '"data" is an array',
        ],
      ])('rejects %s', (_what, overrides, message) => {
        const codec = createCodec();

        const error = failure(() => codec.decode(structured(spec334(overrides))));

        expect(error.reason).toBe('malformed');
        expect(error.message).toContain(message);
      });

      it.each([
        // The Kafka binding's own example carries XML: JSON is what this bus takes.
        ['application/xml', { datacontenttype: 'application/xml' }],
        ['text/plain', { datacontenttype: 'text/plain', data: 'hello' }],
        [
          'thrift as data_base64 (json-format.md 3.2, first example)',
          {
            datacontenttype: 'application/vnd.apache.thrift.binary',
            data: undefined,
            data_base64: 'AAEC',
          },
        ],
      ])('rejects data of content type %s', (_what, overrides) => {
        const codec = createCodec();

        expect(() => codec.decode(structured(spec334(overrides)))).toThrow(
          /^Content type ".*" is not JSON/,
        );
      });

      it.each([
        'application/cloudevents+avro',
        'application/cloudevents-batch+json',
        'application/xml',
      ])('rejects a record of content type %s', (contentType) => {
        const codec = createCodec();

        expect(
          reasonOf(() => codec.decode(structured(spec334(), { 'content-type': contentType }))),
        ).toBe('malformed');
      });

      it('rejects data over codec.maxMessageBytes as too_large, in a value that may be larger', () => {
        const codec = createCodec({ codec: { maxMessageBytes: 64 } });
        const atLimit = { pad: 'x'.repeat(54) };

        expect(codec.decode(structured(spec334({ data: atLimit }))).data).toEqual(atLimit);
        expect(
          reasonOf(() => codec.decode(structured(spec334({ data: { pad: 'x'.repeat(55) } })))),
        ).toBe('too_large');
        const base64 = Buffer.from(JSON.stringify({ pad: 'x'.repeat(55) })).toString('base64');
        expect(
          reasonOf(() =>
            codec.decode(structured(spec334({ data: undefined, data_base64: base64 }))),
          ),
        ).toBe('too_large');
      });

      it('rejects a value over the structured limit as too_large before parsing it', () => {
        const codec = createCodec({ codec: { maxMessageBytes: 64 } });
        const value = 'x'.repeat(structuredLimit(64) + 1);

        expect(() => codec.decode(record(value, STRUCTURED_HEADERS))).toThrow(
          `Structured CloudEvent is ${value.length} bytes, over the limit of ${structuredLimit(64)} bytes`,
        );
      });
    });
  });

  describe('on sending, with codec.mode structured', () => {
    it('writes the whole event as the value, under the CloudEvents JSON content type', () => {
      const codec = createCodec({ codec: { mode: 'structured' } });

      const sent = codec.encode(encodable());

      expect(sent.key).toBe('mykey');
      expect(sent.topic).toBe('mytopic');
      expect(JSON.parse(sent.value.toString())).toEqual({
        specversion: '1.0',
        id: '0195f2a0-0000-7000-8000-000000000001',
        source: 'mycontext',
        type: 'com.example.someevent',
        time: '2018-04-05T03:56:24.000Z',
        datacontenttype: 'application/json',
        dataversion: '2',
        destination: 'billing',
        correlationid: 'corr-1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'vendor=1',
        data: DATA,
      });
    });

    it('keeps trace context also as headers, and the user headers as headers only', () => {
      const codec = createCodec({ codec: { mode: 'structured' } });

      expect(codec.encode(encodable()).headers).toEqual({
        'content-type': 'application/cloudevents+json; charset=utf-8',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'vendor=1',
        'x-tenant': 'acme',
      });
    });

    it('never lets a header override the attributes the bus sets', () => {
      const codec = createCodec({ codec: { mode: 'structured' } });

      const sent = codec.encode(
        encodable({ headers: { ce_id: 'forged', ce_source: 'forged', 'content-type': 'text/x' } }),
      );

      expect(JSON.parse(sent.value.toString())).toMatchObject({
        id: '0195f2a0-0000-7000-8000-000000000001',
        source: 'mycontext',
        datacontenttype: 'application/json',
      });
      expect(sent.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    });

    it('round-trips to the same envelope as binary mode does', () => {
      const asStructured = createCodec({ codec: { mode: 'structured' } });
      const asBinary = createCodec();

      const viaStructured: EventEnvelope = asBinary.decode(
        received(asStructured.encode(encodable())),
      );
      const viaBinary = asBinary.decode(received(asBinary.encode(encodable())));

      expect(viaStructured).toEqual({ ...viaBinary, time: viaStructured.time });
      expect(viaStructured.time).toEqual(new Date(TIME));
      expect(viaBinary).toMatchObject({
        id: '0195f2a0-0000-7000-8000-000000000001',
        version: 2,
        destination: 'billing',
        correlationId: 'corr-1',
        data: DATA,
      });
    });

    it.each(['binary', 'structured'] as const)(
      'writes %s mode that the CloudEvents SDK reads as a valid event',
      (mode) => {
        const codec = createCodec({ codec: { mode } });
        const sent = codec.encode(encodable());

        const message: KafkaMessage<string> = {
          key: sent.key ?? '',
          value: sent.value.toString(),
          headers: sent.headers as Record<string, string>,
          body: sent.value.toString(),
        };
        const event = Kafka.toEvent(message) as CloudEvent<typeof DATA>;

        expect(event.validate()).toBe(true);
        expect(event).toMatchObject({
          id: '0195f2a0-0000-7000-8000-000000000001',
          type: 'com.example.someevent',
          source: 'mycontext',
          dataversion: '2',
          data: DATA,
        });
      },
    );
  });

  describe('with a payload codec', () => {
    const payload = new Base64JsonCodec();

    it('sends binary mode under its content type and reads it back', () => {
      const codec = createCodec({ codec: { payload } });

      const sent = codec.encode(encodable());

      expect(sent.headers['content-type']).toBe('application/x-test');
      expect(sent.value.toString()).toBe(Buffer.from(JSON.stringify(DATA)).toString('base64'));
      expect(codec.decode(received(sent)).data).toEqual(DATA);
    });

    it('sends structured mode with its bytes as data_base64 and reads it back', () => {
      const codec = createCodec({ codec: { payload, mode: 'structured' } });

      const sent = codec.encode(encodable());
      const event = JSON.parse(sent.value.toString()) as Record<string, unknown>;

      expect(event.datacontenttype).toBe('application/x-test');
      expect(event.data).toBeUndefined();
      expect(Buffer.from(event.data_base64 as string, 'base64')).toEqual(payload.encode(DATA));
      expect(codec.decode(received(sent)).data).toEqual(DATA);
    });

    it('rejects a record of any other content type, JSON included, as malformed', () => {
      const codec = createCodec({ codec: { payload } });

      expect(() => codec.decode(binary325())).toThrow(
        'Content type "application/json" is not application/x-test or application/cloudevents+json.',
      );
      expect(reasonOf(() => codec.decode(structured(spec334())))).toBe('malformed');
    });

    it('compares media types without parameters or case', () => {
      const codec = createCodec({ codec: { payload } });
      const sent = codec.encode(encodable());
      sent.headers['content-type'] = 'Application/X-Test; v=1';

      expect(codec.decode(received(sent)).data).toEqual(DATA);
    });

    it('awaits a codec that answers with a promise, through decodeRecord and encodeRecord', async () => {
      const later: PayloadCodec = {
        contentType: 'application/x-test',
        encode: async (data) => payload.encode(data),
        decode: async (bytes) => payload.decode(bytes),
      };
      const codec = createCodec({ codec: { payload: later } });

      const sent = await codec.encodeRecord(encodable());
      const envelope = await codec.decodeRecord(received(sent));

      expect(envelope.data).toEqual(DATA);
      expect(() => codec.decode(received(sent))).toThrow(
        'Payload codec for application/x-test answered with a promise',
      );
    });

    it('reports bytes its codec cannot decode as malformed, naming the codec', async () => {
      const broken: PayloadCodec = {
        contentType: 'application/x-test',
        encode: (data) => payload.encode(data),
        decode: () => Promise.reject(new Error('unknown schema id 42')),
      };
      const codec = createCodec({ codec: { payload: broken } });
      const sent = codec.encode(encodable());

      const error = await Promise.resolve(codec.decodeRecord(received(sent))).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );

      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error).toMatchObject({
        reason: 'malformed',
        message:
          'Payload codec for application/x-test could not decode the record: Error: unknown schema id 42',
      });
    });

    it('passes an outage of its codec through as it is, for the consumer to wait out', () => {
      const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8081'), {
        code: 'ECONNREFUSED',
      });
      const down: PayloadCodec = {
        contentType: 'application/x-test',
        encode: (data) => payload.encode(data),
        decode: () => {
          throw outage;
        },
      };
      const codec = createCodec({ codec: { payload: down } });

      expect(() => codec.decode(received(codec.encode(encodable())))).toThrow(outage);
    });
  });
});
