import type { IncomingRecord, RecordBatch } from '../transports/event-transport.interface';
import { Semaphore } from '../util/semaphore';

const HEARTBEAT_INTERVAL_MS = 3000;

/**
 * Processes one partition's batch with up to `concurrency` records at once, never two of the
 * same key, so order per key holds while distinct keys overlap. Commits the longest prefix of
 * the batch that is done; a failure stops that key's lane and the prefix stops before it.
 */
export async function processBatchByKey(
  batch: RecordBatch,
  concurrency: number,
  processOne: (record: IncomingRecord, index: number) => Promise<void>,
): Promise<void> {
  const slots = new Semaphore(concurrency);
  const lanes = new Map<string, Promise<void>>();
  const done: boolean[] = [];
  const tasks: Promise<void>[] = [];
  // Not a SchedulerRegistry job: it lives for this one batch, keeping the group membership alive.
  const heartbeat = setInterval(
    () => void batch.heartbeat().catch(() => undefined),
    HEARTBEAT_INTERVAL_MS,
  );

  try {
    for (const [index, record] of batch.records.entries()) {
      if (!batch.isActive()) break;
      // Records without a key have no order to keep, so each gets a lane of its own.
      const lane = record.key ?? `\u0000${record.offset}`;
      const previous = lanes.get(lane) ?? Promise.resolve();
      const task = previous.then(() =>
        slots.run(async () => {
          if (!batch.isActive()) throw new BatchStoppedError();
          await processOne(record, index);
          done[index] = true;
        }),
      );
      lanes.set(lane, task);
      tasks.push(task);
    }
    const results = await Promise.allSettled(tasks);
    const committable = firstNotDone(done, batch.records.length);
    if (committable > 0) {
      await batch.commit(String(BigInt(batch.records[committable - 1].offset) + 1n));
    }
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure && !(failure.reason instanceof BatchStoppedError)) throw failure.reason;
  } finally {
    clearInterval(heartbeat);
  }
}

function firstNotDone(done: boolean[], length: number): number {
  for (let i = 0; i < length; i++) if (!done[i]) return i;
  return length;
}

class BatchStoppedError extends Error {}
