import { Consumer, Producer } from 'kafkajs';
import { benchKafka, createTopic, uniqueName } from '../lib/bench-infra';
import { LatencyRecorder, now } from '../lib/metrics';
import { main, ScenarioDriver } from '../lib/scenario';

const LINGER_MS = 2;
const MAX_BATCH = 500;

/**
 * The client's ceiling: kafkajs producer `sendBatch` (records from the 32 producers gathered for
 * up to 2 ms, like the Java client's linger.ms) to a consumer `eachBatch`; no database.
 */
class KafkajsRawDriver implements ScenarioDriver {
  readonly name = 'kafkajs-raw';
  readonly latencies = new LatencyRecorder(1);
  private count = 0;
  private producer?: Producer;
  private consumer?: Consumer;
  private topic = uniqueName('bench-raw');
  private pending: Array<{
    message: { key: string; value: string };
    done: () => void;
    fail: (e: unknown) => void;
  }> = [];
  private timer?: NodeJS.Timeout;

  async setup(): Promise<void> {
    await createTopic(this.topic);
    const kafka = benchKafka();
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await this.producer.connect();
    this.consumer = kafka.consumer({ groupId: uniqueName('raw'), allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await this.consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const message of batch.messages) {
          const { createdAt } = JSON.parse(message.value!.toString()) as { createdAt: number };
          this.latencies.record(now() - createdAt);
          this.count += 1;
          resolveOffset(message.offset);
        }
      },
    });
  }

  produce(i: number): Promise<void> {
    return new Promise((done, fail) => {
      const value = JSON.stringify({ userId: `user-${i}`, name: `name ${i}`, createdAt: now() });
      this.pending.push({ message: { key: `user-${i}`, value }, done, fail });
      if (this.pending.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), LINGER_MS);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    this.producer!.sendBatch({
      acks: -1,
      topicMessages: [{ topic: this.topic, messages: batch.map((b) => b.message) }],
    }).then(
      () => batch.forEach((b) => b.done()),
      (error: unknown) => batch.forEach((b) => b.fail(error)),
    );
  }

  handled(): number {
    return this.count;
  }

  async teardown(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}

main(() => new KafkajsRawDriver(), { events: 100000, rateEvents: 5000 });
