import type { DeadLetter } from './dead-letter.interface';
import { toDeadLetter } from './dead-letter.reader';
import { buildReplayRow } from './replay-row.factory';
import { asReceived } from '../transports/record-bytes';

const AT = new Date('2025-03-01T12:00:00.000Z');
const STAMP = { by: 'alice', at: AT };

function deadLetter(
  headers: Record<string, string | undefined> = {},
  value = '{"userId":"u1"}',
): DeadLetter {
  const all: Record<string, string | undefined> = {
    ce_specversion: '1.0',
    ce_id: '0192a3b4-0000-7000-8000-000000000001',
    ce_type: 'user.registered',
    ce_dataversion: '2',
    ce_source: 'user-service',
    ce_time: '2025-02-01T08:00:00.000Z',
    'content-type': 'application/json',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    ce_correlationid: 'req-7',
    tenant: 'acme',
    'x-error-type': 'Error',
    'x-error-message': 'profile store down',
    'x-attempts': '4',
    'x-original-topic': 'staging.user.registered',
    'x-original-partition': '1',
    'x-original-offset': '17',
    'x-handler': 'ProfileProjector.onUserRegistered',
    'x-failed-at': '2025-02-01T08:00:01.000Z',
    ...headers,
  };
  return toDeadLetter({
    topic: 'staging.user.registered.dlq',
    partition: 2,
    offset: '9',
    ...asReceived({
      key: 'u1',
      value: Buffer.from(value),
      headers: Object.fromEntries(
        Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
    }),
    timestamp: Date.parse('2025-02-01T08:00:01.000Z'),
  });
}

function rowOf(letter: DeadLetter) {
  const result = buildReplayRow(letter, STAMP);
  if ('skip' in result) throw new Error(`skipped: ${result.skip}`);
  if ('record' in result) throw new Error(`not an outbox row: ${result.why}`);
  return result.row;
}

describe('buildReplayRow', () => {
  it('keeps the event: id, type, version, key, original topic and payload', () => {
    const row = rowOf(deadLetter());
    expect(row).toMatchObject({
      id: '0192a3b4-0000-7000-8000-000000000001',
      type: 'user.registered',
      version: 2,
      key: 'u1',
      topic: 'staging.user.registered',
      destination: null,
      payload: '{"userId":"u1"}',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: AT,
      lastError: null,
      publishedAt: null,
    });
    // The relay sends created_at as ce_time: the replay's time; the original is a header.
    expect(row.createdAt).toEqual(AT);
  });

  it('keeps CloudEvents, trace and user headers, drops the failure headers, adds who replayed what', () => {
    const headers = JSON.parse(rowOf(deadLetter()).headers) as Record<string, string>;
    expect(headers).toEqual({
      ce_specversion: '1.0',
      ce_id: '0192a3b4-0000-7000-8000-000000000001',
      ce_type: 'user.registered',
      ce_dataversion: '2',
      ce_source: 'user-service',
      ce_time: '2025-02-01T08:00:00.000Z',
      'content-type': 'application/json',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      ce_correlationid: 'req-7',
      tenant: 'acme',
      'x-replayed-by': 'alice',
      'x-replayed-at': '2025-03-01T12:00:00.000Z',
      'x-replayed-from': 'staging.user.registered.dlq/2/9',
      'x-original-time': '2025-02-01T08:00:00.000Z',
    });
  });

  it('replaces the replay headers of an earlier replay, keeping the first original time', () => {
    const letter = deadLetter({
      ce_time: '2025-02-20T00:00:00.000Z',
      'x-replayed-by': 'bob',
      'x-replayed-from': 'elsewhere/0/0',
      'x-original-time': '2025-02-01T08:00:00.000Z',
    });
    const headers = JSON.parse(rowOf(letter).headers) as Record<string, string>;
    expect(headers['x-replayed-by']).toBe('alice');
    expect(headers['x-replayed-from']).toBe('staging.user.registered.dlq/2/9');
    expect(headers['x-original-time']).toBe('2025-02-01T08:00:00.000Z');
  });

  it('keeps the destination and falls back to version 1', () => {
    const row = rowOf(deadLetter({ ce_destination: 'order-service', ce_dataversion: undefined }));
    expect(row.destination).toBe('order-service');
    expect(row.version).toBe(1);
  });

  it.each([
    [{ ce_id: undefined }, '{}', 'no ce_id header'],
    [{ ce_type: undefined }, '{}', 'no ce_type header'],
    [{ ce_id: 'x'.repeat(37) }, '{}', 'longer than 36 characters'],
    [{ ce_dataversion: '0' }, '{}', 'ce_dataversion "0" is not a positive integer'],
    [{}, '{"userId": "trunc', 'payload is not JSON'],
  ])('skips a letter it cannot replay (%j)', (headers, value, reason) => {
    const result = buildReplayRow(deadLetter(headers, value), STAMP);
    expect('skip' in result && result.skip).toContain(reason);
  });

  describe('a letter whose key or headers the outbox cannot hold as text', () => {
    const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x80]);
    const bytesLetter = (key: Buffer, extra: Record<string, Buffer[]>): DeadLetter => {
      const base = deadLetter();
      return {
        ...base,
        key: key.toString('utf8'),
        rawKey: key,
        rawHeaders: { ...base.rawHeaders, ...extra },
      };
    };

    it.each([
      ['its key is not UTF-8', NOT_UTF8, {}, 'key is not UTF-8 text'],
      [
        'a header is not UTF-8',
        Buffer.from('u1'),
        { bin: [NOT_UTF8] },
        'header bin is not UTF-8 text',
      ],
      [
        'a header is repeated',
        Buffer.from('u1'),
        { hop: [Buffer.from('a'), Buffer.from('b')] },
        'header hop is repeated 2 times',
      ],
    ])('is sent as a record, byte for byte, when %s', (_what, key, extra, why) => {
      const result = buildReplayRow(bytesLetter(key, extra), STAMP);
      if (!('record' in result)) throw new Error(`expected a record: ${JSON.stringify(result)}`);
      expect(result.why).toBe(why);
      const { record } = result;
      expect(record.topic).toBe('staging.user.registered');
      expect(record.key).toEqual(key);
      expect(record.value).toEqual(Buffer.from('{"userId":"u1"}'));
      for (const [name, values] of Object.entries(extra))
        expect(record.headers[name]).toEqual(values);
      expect(record.headers.tenant).toEqual([Buffer.from('acme')]);
      expect(record.headers).toMatchObject({
        'x-replayed-by': 'alice',
        'x-replayed-from': 'staging.user.registered.dlq/2/9',
        'x-original-time': '2025-02-01T08:00:00.000Z',
        ce_time: AT.toISOString(),
      });
      for (const failure of ['x-error-type', 'x-error-message', 'x-attempts', 'x-handler']) {
        expect(record.headers).not.toHaveProperty(failure);
      }
    });
  });

  describe('a structured-mode letter', () => {
    const FAILURE = {
      'x-error-type': 'Error',
      'x-error-message': 'profile store down',
      'x-original-topic': 'staging.user.registered',
    };
    const structured = (event: Record<string, unknown>, extra: Record<string, string> = {}) =>
      toDeadLetter({
        topic: 'staging.user.registered.dlq',
        partition: 0,
        offset: '3',
        ...asReceived({
          key: 'u1',
          value: Buffer.from(JSON.stringify(event)),
          headers: {
            'content-type': 'application/cloudevents+json; charset=utf-8',
            ...FAILURE,
            ...extra,
          },
        }),
        timestamp: Date.parse('2025-02-01T08:00:01.000Z'),
      });
    // The CloudEvents Kafka binding's structured example, with the bus's extensions.
    const EVENT = {
      specversion: '1.0',
      type: 'user.registered',
      source: '/sdk/producer',
      id: 'A234-1234-1234',
      time: '2025-02-01T08:00:00Z',
      dataversion: '2',
      correlationid: 'req-9',
      destination: 'order-service',
      datacontenttype: 'application/json',
      data: { userId: 'u1' },
    };

    it('reads its attributes from the value, and replays it as the same event in binary form', () => {
      const letter = structured(EVENT);
      expect(letter).toMatchObject({
        eventId: 'A234-1234-1234',
        type: 'user.registered',
        version: '2',
        source: '/sdk/producer',
        time: '2025-02-01T08:00:00Z',
      });
      const row = rowOf(letter);
      expect(row).toMatchObject({
        id: 'A234-1234-1234',
        type: 'user.registered',
        version: 2,
        key: 'u1',
        topic: 'staging.user.registered',
        destination: 'order-service',
        payload: '{"userId":"u1"}',
      });
      expect(JSON.parse(row.headers)).toEqual({
        ce_specversion: '1.0',
        ce_id: 'A234-1234-1234',
        ce_type: 'user.registered',
        ce_source: '/sdk/producer',
        ce_time: '2025-02-01T08:00:00Z',
        ce_dataversion: '2',
        ce_correlationid: 'req-9',
        ce_destination: 'order-service',
        'content-type': 'application/json',
        'x-replayed-by': 'alice',
        'x-replayed-at': AT.toISOString(),
        'x-replayed-from': 'staging.user.registered.dlq/0/3',
        'x-original-time': '2025-02-01T08:00:00Z',
      });
    });

    it('sends data_base64 back as the record it was, and skips data that is no JSON object', () => {
      const { data: _data, ...attributes } = EVENT;
      const bytes = buildReplayRow(
        structured({ ...attributes, data_base64: Buffer.from('{}').toString('base64') }),
        STAMP,
      );
      expect(bytes).toMatchObject({ why: expect.stringContaining('data_base64') });
      expect(buildReplayRow(structured({ ...EVENT, data: [1, 2] }), STAMP)).toEqual({
        skip: expect.stringContaining('no JSON object'),
      });
    });

    it('is no event of the bus when its value is no valid structured event', () => {
      const letter = structured({ ...EVENT, specversion: 1 });
      expect(letter.structured).toBeNull();
      expect(buildReplayRow(letter, STAMP)).toEqual({
        skip: 'no ce_id header: not an event of the bus',
      });
    });
  });
});
