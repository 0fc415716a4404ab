import {
  Consumer,
  type MessagesStream,
  MessagesStreamModes,
  Producer,
  ProduceAcks,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { createTopic, KAFKA_BROKERS, uniqueName } from '../lib/bench-infra';
import { LatencyRecorder, now } from '../lib/metrics';
import { main, ScenarioDriver } from '../lib/scenario';

const LINGER_MS = 2;
const MAX_BATCH = 500;

/**
 * `kafkajs-raw` on @platformatic/kafka: records from the 32 producers gathered for up to 2 ms
 * into one idempotent send, read back by its consumer's stream (committed as it goes); no
 * database. The client's ceiling, beside kafkajs's.
 */
class PlatformaticRawDriver implements ScenarioDriver {
  readonly name = 'platformatic-raw';
  readonly latencies = new LatencyRecorder(1);
  private count = 0;
  private producer?: Producer<string, string, string, string>;
  private consumer?: Consumer<string, string, string, string>;
  private stream?: MessagesStream<string, string, string, string>;
  private topic = uniqueName('bench-raw');
  private pending: Array<{
    message: { topic: string; key: string; value: string };
    done: () => void;
    fail: (e: unknown) => void;
  }> = [];
  private timer?: NodeJS.Timeout;
  /** One send in flight: the client's idempotent producer numbers batches on acknowledgement. */
  private sending: Promise<unknown> = Promise.resolve();

  async setup(): Promise<void> {
    await createTopic(this.topic);
    const client = { clientId: 'event-bus-bench', bootstrapBrokers: KAFKA_BROKERS };
    this.producer = new Producer({
      ...client,
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
      serializers: stringSerializers,
    });
    this.consumer = new Consumer({
      ...client,
      groupId: uniqueName('raw'),
      deserializers: stringDeserializers,
    });
    this.stream = await this.consumer.consume({
      topics: [this.topic],
      mode: MessagesStreamModes.EARLIEST,
    });
    this.stream.on('data', (message) => {
      const { createdAt } = JSON.parse(message.value) as { createdAt: number };
      this.latencies.record(now() - createdAt);
      this.count += 1;
    });
  }

  produce(i: number): Promise<void> {
    return new Promise((done, fail) => {
      const value = JSON.stringify({ userId: `user-${i}`, name: `name ${i}`, createdAt: now() });
      this.pending.push({ message: { topic: this.topic, key: `user-${i}`, value }, done, fail });
      if (this.pending.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), LINGER_MS);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    const messages = batch.map((b) => b.message);
    this.sending = this.sending
      .then(() => this.producer!.send({ messages }))
      .then(
        () => batch.forEach((b) => b.done()),
        (error: unknown) => batch.forEach((b) => b.fail(error)),
      );
  }

  handled(): number {
    return this.count;
  }

  async teardown(): Promise<void> {
    await this.stream?.close();
    await this.consumer?.close(true);
    await this.producer?.close();
  }
}

main(() => new PlatformaticRawDriver(), { events: 100000, rateEvents: 5000 });
