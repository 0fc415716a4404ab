import { v7 as uuidv7 } from 'uuid';
import { benchKafka } from './bench-infra';
import { ResourceMonitor, round } from './metrics';
import type { ScenarioResult } from './scenario';

/** `--name N` from the command line; `--events` (the harness's quick mode) shrinks the default. */
export function drainArg(name: string, full: number, quick: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return Number(process.argv[i + 1]);
  return process.argv.includes('--events') ? quick : full;
}

/** The event of record `i` as the bus writes it: its JSON and its CloudEvents headers. */
export function benchRecord(i: number): {
  key: string;
  value: string;
  headers: Record<string, string>;
} {
  return {
    key: `user-${i}`,
    value: JSON.stringify({ userId: `user-${i}`, name: `name ${i}`, createdAt: Date.now() }),
    headers: {
      ce_specversion: '1.0',
      ce_id: uuidv7(),
      ce_source: 'bench',
      ce_type: 'bench.user-registered',
      ce_dataversion: '1',
      'content-type': 'application/json',
    },
  };
}

/** Puts `count` bench records on `topic` before a drain starts, 1,000 per request. */
export async function fillTopic(topic: string, count: number): Promise<void> {
  const producer = benchKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let start = 0; start < count; start += 1000) {
      const n = Math.min(1000, count - start);
      const messages = Array.from({ length: n }, (_, k) => benchRecord(start + k));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Times `drain` until `done()` reaches `count` (or `maxSeconds` pass), with peak RSS and CPU
 * per 1,000 events, as a result row of the bench table (latency columns do not apply). The rate
 * counts from the first event done: starting (Nest, the Kafka client, a group join) is the
 * same for every scenario and not the stage's throughput; the notes give it.
 */
export async function timeDrain(
  name: string,
  count: number,
  maxSeconds: number,
  done: () => number,
  drain: () => Promise<void>,
  what: string,
): Promise<ScenarioResult> {
  const monitor = new ResourceMonitor();
  monitor.start();
  const started = performance.now();
  let first: { at: number; done: number } | undefined;
  const watch = setInterval(() => {
    if (!first && done() > 0) first = { at: performance.now(), done: done() };
  }, 5);
  try {
    await drain();
    const deadline = started + maxSeconds * 1000;
    while (done() < count && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    clearInterval(watch);
  }
  const ended = performance.now();
  const { peakRssMb, cpuSec } = monitor.stop();
  const drained = Math.min(done(), count);
  if (drained < count || !first) {
    throw new Error(`${name}: ${drained} of ${count} drained within ${maxSeconds} s`);
  }
  const seconds = (ended - first.at) / 1000;
  const startup = (first.at - started) / 1000;
  process.stderr.write(
    `  ${name}: ${count} ${what} in ${seconds.toFixed(1)} s after ${startup.toFixed(1)} s starting\n`,
  );
  return {
    name,
    events: count,
    eventsPerSec: round((count - first.done) / seconds, 0),
    p50Ms: NaN,
    p95Ms: NaN,
    p99Ms: NaN,
    halfSaturationPerSec: NaN,
    halfSaturationP50Ms: NaN,
    halfSaturationP95Ms: NaN,
    halfSaturationP99Ms: NaN,
    saturationP50Ms: NaN,
    saturationP95Ms: NaN,
    saturationP99Ms: NaN,
    peakRssMb,
    cpuSecPer1kEvents: round((cpuSec / count) * 1000, 3),
    notes: `${what}: ${count} in ${seconds.toFixed(1)} s, after ${startup.toFixed(1)} s starting`,
  };
}

/** Prints the result line the harness reads, and exits. */
export function report(run: () => Promise<ScenarioResult>): void {
  run().then(
    (result) => {
      process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
