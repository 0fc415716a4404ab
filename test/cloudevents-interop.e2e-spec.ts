import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import { v7 as uuidv7 } from 'uuid';
import { DLQ_HEADERS, InMemoryBroker } from '@nestbus/event-bus';
import type { IncomingRecord } from '@nestbus/event-bus/transport';
import { createTestDatabase, eventually, TestDatabase } from './support/databases';
import { bootItemApp, ItemApp } from './support/item-app';
import { Applied, type HandlerBehaviour, newBehaviour } from './support/item-events.fixture';
import { runCli } from './support/cli';
import { KAFKA_BROKERS, produceRaw, readTopic, requireKafka, uniqueName } from './support/kafka';

const TYPE = 'test.item-created';

/** The record as the CloudEvents SDK reads a Kafka message. */
const toSdkEvent = (record: IncomingRecord) => {
  const message: KafkaMessage<string> = {
    key: record.key ?? '',
    value: record.value.toString('utf8'),
    headers: record.headers,
    body: record.value.toString('utf8'),
  };
  return Kafka.toEvent(message) as CloudEvent<{ itemKey: string; seq: number }>;
};

/** Kafka headers of an SDK message: the SDK leaves attributes it does not have as undefined. */
const headersOf = (message: { headers: Record<string, unknown> }): Record<string, string> =>
  Object.fromEntries(
    Object.entries(message.headers).filter((entry): entry is [string, string] => {
      return typeof entry[1] === 'string';
    }),
  );

describe('CloudEvents interop on Kafka: the SDK and the bus, binary and structured', () => {
  const prefix = uniqueName('ce-interop');
  const topic = `${prefix}.${TYPE}`;
  const kafka = (serviceId: string) => ({
    serviceId,
    transport: { type: 'kafka' as const, brokers: KAFKA_BROKERS },
    topics: { naming: (type: string) => `${prefix}.${type}` },
  });
  let consumerDb: TestDatabase;
  let publisherDb: TestDatabase;
  let consumer: ItemApp;
  const behaviour: HandlerBehaviour = newBehaviour();
  let structuredPublisher: ItemApp | undefined;

  const appliedOf = (eventId: string) =>
    consumer.dataSource.getRepository(Applied).findBy({ eventId });

  beforeAll(async () => {
    await requireKafka();
    consumerDb = await createTestDatabase('postgres');
    publisherDb = await createTestDatabase('postgres');
    // The consuming service, which also publishes in the default (binary) mode.
    consumer = await bootItemApp(consumerDb, new InMemoryBroker(), behaviour, {
      ...kafka(`${prefix}-items`),
    });
  });

  afterAll(async () => {
    await structuredPublisher?.close();
    await consumer?.close();
    await consumerDb?.drop();
    await publisherDb?.drop();
  });

  it('applies, once each, events the CloudEvents SDK produced in structured and in binary mode', async () => {
    const made = (itemKey: string) =>
      new CloudEvent({
        id: uuidv7(),
        type: TYPE,
        source: '/sdk/producer',
        dataversion: '1',
        datacontenttype: 'application/json',
        data: { itemKey, seq: 1 },
        partitionkey: itemKey,
      });
    const structuredEvent = made('sdk-structured');
    const binaryEvent = made('sdk-binary');
    const structured = Kafka.structured(structuredEvent);
    const binary = Kafka.binary(binaryEvent);

    await produceRaw(topic, [
      {
        key: structured.key,
        value: structured.value as string,
        headers: headersOf(structured),
      },
      {
        key: binary.key,
        // The SDK leaves JSON data as an object; on the wire it is the JSON text.
        value: JSON.stringify(binary.value),
        headers: headersOf(binary),
      },
    ]);

    for (const event of [structuredEvent, binaryEvent]) {
      await eventually(
        async () => (await appliedOf(event.id)).length > 0,
        `event ${event.id} applied`,
        30_000,
      );
    }
    const outcomes = await consumer.helper.waitForCount(TYPE, 2, {
      where: (e: { itemKey: string }) => e.itemKey.startsWith('sdk-'),
      timeoutMs: 30_000,
    });
    expect(outcomes.map((o) => o.status)).toEqual(['success', 'success']);
    expect((await appliedOf(structuredEvent.id)).map((a) => a.itemKey)).toEqual(['sdk-structured']);
    expect((await appliedOf(binaryEvent.id)).map((a) => a.itemKey)).toEqual(['sdk-binary']);
  });

  it('publishes in binary mode by default and in structured mode when asked, both valid to the SDK', async () => {
    await consumer.items.create('bus-binary', 1);
    structuredPublisher = await bootItemApp(publisherDb, new InMemoryBroker(), newBehaviour(), {
      ...kafka(`${prefix}-structured`),
      consumer: { enabled: false },
      codec: { mode: 'structured' },
    });
    await structuredPublisher.items.create('bus-structured', 1);
    const sentBinary = await consumer.helper.expectPublished(
      TYPE,
      { itemKey: 'bus-binary' },
      {
        timeoutMs: 30_000,
      },
    );
    const sentStructured = await structuredPublisher.helper.expectPublished(
      TYPE,
      { itemKey: 'bus-structured' },
      { timeoutMs: 30_000 },
    );

    // Two records the SDK produced, then these two.
    const records = await readTopic(topic, 4);
    const byId = (id: string) => records.find((r) => toSdkEvent(r).id === id);
    const binary = byId(sentBinary.id);
    const structured = byId(sentStructured.id);

    expect(binary?.headers['content-type']).toBe('application/json');
    expect(binary?.headers.ce_id).toBe(sentBinary.id);
    expect(structured?.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(structured?.headers.ce_id).toBeUndefined();
    for (const [record, sent, source] of [
      [binary, sentBinary, `${prefix}-items`],
      [structured, sentStructured, `${prefix}-structured`],
    ] as const) {
      const event = toSdkEvent(record!);
      expect(event.validate()).toBe(true);
      expect(event).toMatchObject({
        specversion: '1.0',
        id: sent.id,
        type: TYPE,
        source,
        dataversion: '1',
        data: sent.payload,
      });
      expect(record!.key).toBe(sent.payload.itemKey);
    }
    // The consuming service applies the structured event it did not publish, once.
    await eventually(
      async () => (await appliedOf(sentStructured.id)).length === 1,
      'structured event applied',
      30_000,
    );
  });

  it('dead-letters a malformed structured record with its reason', async () => {
    const id = uuidv7();
    const value = JSON.stringify({
      specversion: '1.0',
      id,
      type: TYPE,
      // No source: a required attribute is missing.
      dataversion: '1',
      data: { itemKey: 'malformed', seq: 1 },
    });

    await produceRaw(topic, [
      {
        key: 'malformed',
        value,
        headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' },
      },
    ]);

    const [letter] = await readTopic(`${topic}.dlq`, 1);
    expect(letter).toBeDefined();
    expect(letter.value.toString()).toBe(value);
    expect(letter.headers[DLQ_HEADERS.errorType]).toBe('malformed');
    expect(letter.headers[DLQ_HEADERS.errorMessage]).toBe(
      'Structured CloudEvent has no "source" attribute.',
    );
    expect(letter.headers[DLQ_HEADERS.originalTopic]).toBe(topic);
    expect(await appliedOf(id)).toEqual([]);
  });

  it('replays a structured dead letter with the CLI: the same event, applied once', async () => {
    behaviour.shouldFail = (event) => event.itemKey === 'sdk-replayed';
    const event = new CloudEvent({
      id: uuidv7(),
      type: TYPE,
      source: '/sdk/producer',
      dataversion: '1',
      data: { itemKey: 'sdk-replayed', seq: 1 },
    });
    const message = Kafka.structured(event);
    await produceRaw(topic, [
      { key: 'sdk-replayed', value: message.value as string, headers: headersOf(message) },
    ]);
    const letters = await readTopic(`${topic}.dlq`, 2);
    expect(letters.some((l) => l.value.toString().includes(event.id))).toBe(true);

    behaviour.shouldFail = () => false;
    const run = await runCli(['dlq', 'replay', topic, '--execute', '--event', event.id], {
      DATABASE_URL: consumerDb.url,
      SERVICE_ID: `${prefix}-items`,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Replayed 1 of');
    await eventually(
      async () => (await appliedOf(event.id)).length === 1,
      'the replayed structured event applied',
      30_000,
    );
    expect((await appliedOf(event.id)).map((a) => a.itemKey)).toEqual(['sdk-replayed']);
  });
});
