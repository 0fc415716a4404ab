import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { EventBusTestHelper, type EventBusTestingOptions } from '../../testing';
import { compileTestApp } from '../__fixtures__/event-bus-test-app';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { DLQ_HEADERS } from '../event-bus.constants';
import { EventPublisher } from '../event-bus.publisher';
import type { PayloadCodec } from '../interfaces/payload-codec.interface';
import { InMemoryBroker } from '../transports/in-memory/in-memory-broker';
import type { IncomingRecord } from '../transports/event-transport.interface';

@IntegrationEvent({ type: 'codec.note-taken', key: (e: NoteTaken) => e.noteId })
class NoteTaken {
  @IsString()
  noteId!: string;

  @IsString()
  text!: string;

  static of(noteId: string, text: string): NoteTaken {
    return Object.assign(new NoteTaken(), { noteId, text });
  }
}

@Injectable()
class NoteHandler {
  readonly notes: string[] = [];

  @EventSubscribe(NoteTaken)
  onNote(event: NoteTaken): void {
    this.notes.push(`${event.noteId}:${event.text}`);
  }
}

/**
 * A codec only tests know: JSON, base64'd, under `application/x-test`. Decoding answers with a
 * promise, as a schema-registry codec's would, and can be made to meet an outage first.
 */
class Base64JsonCodec implements PayloadCodec {
  readonly contentType = 'application/x-test';
  outagesLeft = 0;
  decoded = 0;

  encode(data: object): Buffer {
    return Buffer.from(Buffer.from(JSON.stringify(data)).toString('base64'));
  }

  async decode(bytes: Buffer): Promise<object> {
    if (this.outagesLeft > 0) {
      this.outagesLeft--;
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8081'), {
        code: 'ECONNREFUSED',
      });
    }
    this.decoded++;
    return JSON.parse(Buffer.from(bytes.toString(), 'base64').toString()) as object;
  }
}

const TOPIC = 'codec.note-taken';

describe('a plugged-in payload codec, end to end on the in-memory transport', () => {
  const apps: TestingModule[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  const boot = async (options: EventBusTestingOptions) => {
    const app = await compileTestApp({ bus: options, providers: [NoteHandler] });
    apps.push(app);
    await app.init();
    return {
      helper: app.get(EventBusTestHelper),
      publisher: app.get(EventPublisher),
      handler: app.get(NoteHandler),
    };
  };
  const records = (broker: InMemoryBroker, topic = TOPIC): IncomingRecord[] =>
    broker.partitions(topic).flatMap((p) => p.read(0, 100));

  it.each(['binary', 'structured'] as const)(
    'carries events in %s mode through the codec to the handler',
    async (mode) => {
      const broker = new InMemoryBroker();
      const payload = new Base64JsonCodec();
      const { helper, publisher, handler } = await boot({ broker, codec: { payload, mode } });

      await publisher.publish(NoteTaken.of('n-1', 'hello'), { newTransaction: true });
      await helper.waitForHandled(NoteTaken, { where: (e) => e.noteId === 'n-1' });

      expect(handler.notes).toEqual(['n-1:hello']);
      expect(payload.decoded).toBe(1);
      const [sent] = records(broker);
      const encoded = Buffer.from(JSON.stringify({ noteId: 'n-1', text: 'hello' })).toString(
        'base64',
      );
      if (mode === 'binary') {
        expect(sent.headers['content-type']).toBe('application/x-test');
        expect(sent.value.toString()).toBe(encoded);
      } else {
        expect(sent.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
        const event = JSON.parse(sent.value.toString()) as Record<string, string>;
        expect(event.datacontenttype).toBe('application/x-test');
        expect(Buffer.from(event.data_base64, 'base64').toString()).toBe(encoded);
      }
    },
  );

  it('waits out an outage of the codec instead of dead-lettering, and handles the event once', async () => {
    const broker = new InMemoryBroker();
    const payload = new Base64JsonCodec();
    payload.outagesLeft = 2;
    const { helper, publisher, handler } = await boot({
      broker,
      codec: { payload },
      consumer: { unavailableBackoff: { initialMs: 5, maxMs: 20 } },
    });

    await publisher.publish(NoteTaken.of('n-2', 'after the outage'), { newTransaction: true });
    await helper.waitForHandled(NoteTaken, { where: (e) => e.noteId === 'n-2' });

    expect(payload.outagesLeft).toBe(0);
    expect(handler.notes).toEqual(['n-2:after the outage']);
    expect(records(broker, `${TOPIC}.dlq`)).toEqual([]);
  });

  it('dead-letters a record of a content type that is neither its codec nor CloudEvents JSON', async () => {
    const broker = new InMemoryBroker();
    const { helper, publisher } = await boot({ broker, codec: { payload: new Base64JsonCodec() } });
    // Sent by a JSON app on the same broker: application/json, which this app does not read.
    const json = await boot({ broker, serviceId: 'json-sender', consumer: { enabled: false } });

    // One key, so one partition: the JSON record is consumed (and dead-lettered) first.
    await json.publisher.publish(NoteTaken.of('n-3', 'as json'), {
      key: 'one',
      newTransaction: true,
    });
    await json.helper.expectPublished(NoteTaken, { noteId: 'n-3' });
    await publisher.publish(NoteTaken.of('n-4', 'as x-test'), { key: 'one', newTransaction: true });
    await helper.waitForHandled(NoteTaken, { where: (e) => e.noteId === 'n-4' });

    const [letter] = records(broker, `${TOPIC}.dlq`);
    expect(letter.headers[DLQ_HEADERS.errorType]).toBe('malformed');
    expect(letter.headers[DLQ_HEADERS.errorMessage]).toBe(
      'Content type "application/json" is not application/x-test or application/cloudevents+json.',
    );
  });
});
