import type { IncomingRecord, RecordBatch } from '../transports/event-transport.interface';
import { processBatchByKey } from './keyed-executor';

interface FakeBatch extends RecordBatch {
  commits: string[];
  active: boolean;
}

function batchOf(keys: Array<string | null>, firstOffset = 0n): FakeBatch {
  const records: IncomingRecord[] = keys.map((key, i) => ({
    topic: 't',
    partition: 0,
    offset: String(firstOffset + BigInt(i)),
    key,
    rawKey: key === null ? null : Buffer.from(key),
    value: Buffer.from(String(i)),
    headers: {},
    rawHeaders: {},
    timestamp: 0,
  }));
  const batch: FakeBatch = {
    topic: 't',
    partition: 0,
    records,
    commits: [],
    active: true,
    heartbeat: async () => undefined,
    isActive: () => batch.active,
    commit: async (nextOffset: string) => {
      batch.commits.push(nextOffset);
    },
  };
  return batch;
}

/** Lets other queued work run: several macrotask turns. */
async function yieldTurns(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Tracks how many calls overlap, overall and per key. */
class Overlap {
  inFlight = 0;
  maxInFlight = 0;
  readonly perKey = new Map<string | null, number>();
  maxPerKey = 0;
  readonly started: string[] = [];

  async run(record: IncomingRecord, work: () => Promise<void> = () => yieldTurns()): Promise<void> {
    this.started.push(record.offset);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const key = record.key;
    const sameKey = (this.perKey.get(key) ?? 0) + 1;
    this.perKey.set(key, sameKey);
    if (key !== null) this.maxPerKey = Math.max(this.maxPerKey, sameKey);
    try {
      await work();
    } finally {
      this.inFlight -= 1;
      this.perKey.set(key, (this.perKey.get(key) ?? 1) - 1);
    }
  }
}

describe('processBatchByKey', () => {
  it('never runs two records of one key at once, and keeps their order', async () => {
    const batch = batchOf(['a', 'a', 'b', 'a', 'b', 'a']);
    const overlap = new Overlap();
    const finished: string[] = [];

    await processBatchByKey(batch, 8, (record) =>
      overlap.run(record, async () => {
        // Earlier records take longer, so a broken lane would finish them out of order.
        await yieldTurns(6 - Number(record.offset));
        finished.push(`${record.key}${record.offset}`);
      }),
    );

    expect(overlap.maxPerKey).toBe(1);
    expect(finished.filter((f) => f.startsWith('a'))).toEqual(['a0', 'a1', 'a3', 'a5']);
    expect(finished.filter((f) => f.startsWith('b'))).toEqual(['b2', 'b4']);
    expect(batch.commits).toEqual(['6']);
  });

  it('runs different keys concurrently, up to the bound', async () => {
    const batch = batchOf(['a', 'b', 'c', 'd', 'e', 'f']);
    const overlap = new Overlap();

    await processBatchByKey(batch, 3, (record) => overlap.run(record));

    expect(overlap.maxInFlight).toBe(3);
    expect(batch.commits).toEqual(['6']);
  });

  it('runs all distinct keys at once when the bound allows', async () => {
    const batch = batchOf(['a', 'b', 'c', 'd']);
    const overlap = new Overlap();

    await processBatchByKey(batch, 16, (record) => overlap.run(record));

    expect(overlap.maxInFlight).toBe(4);
  });

  it('gives records without a key a lane each', async () => {
    const batch = batchOf([null, null, null]);
    const overlap = new Overlap();

    await processBatchByKey(batch, 8, (record) => overlap.run(record));

    expect(overlap.maxInFlight).toBe(3);
    expect(batch.commits).toEqual(['3']);
  });

  it('commits the offset after the last record when the whole batch is done', async () => {
    const batch = batchOf(['a', 'b'], 41n);

    await processBatchByKey(batch, 2, async () => undefined);

    expect(batch.commits).toEqual(['43']);
  });

  it('computes offsets beyond 2^53 exactly', async () => {
    const batch = batchOf(['a'], 9007199254740993n);

    await processBatchByKey(batch, 1, async () => undefined);

    expect(batch.commits).toEqual(['9007199254740994']);
  });

  it('commits the longest done prefix and rethrows the failure', async () => {
    // Offsets 0..4; offset 2 (key c) fails while the other keys succeed.
    const batch = batchOf(['a', 'b', 'c', 'd', 'e']);
    const failure = new Error('handler failed');
    const processed: string[] = [];

    await expect(
      processBatchByKey(batch, 4, async (record) => {
        await yieldTurns();
        if (record.offset === '2') throw failure;
        processed.push(record.offset);
      }),
    ).rejects.toBe(failure);

    expect(processed.sort()).toEqual(['0', '1', '3', '4']);
    expect(batch.commits).toEqual(['2']);
  });

  it('stops the lane of a failed record but lets other lanes go on', async () => {
    const batch = batchOf(['a', 'a', 'b', 'a', 'b']);
    const processed: string[] = [];

    await expect(
      processBatchByKey(batch, 4, async (record) => {
        if (record.offset === '1') throw new Error('a1 failed');
        processed.push(`${record.key}${record.offset}`);
      }),
    ).rejects.toThrow('a1 failed');

    expect(processed.sort()).toEqual(['a0', 'b2', 'b4']);
    expect(batch.commits).toEqual(['1']);
  });

  it('commits nothing when the first record fails', async () => {
    const batch = batchOf(['a', 'b']);

    await expect(
      processBatchByKey(batch, 2, async (record) => {
        if (record.offset === '0') throw new Error('first failed');
      }),
    ).rejects.toThrow('first failed');

    expect(batch.commits).toEqual([]);
  });

  it('stops scheduling once the batch is no longer active and commits what was done', async () => {
    const batch = batchOf(['a', 'a', 'a', 'a']);
    const processed: string[] = [];

    await processBatchByKey(batch, 1, async (record) => {
      processed.push(record.offset);
      if (record.offset === '1') batch.active = false;
    });

    expect(processed).toEqual(['0', '1']);
    expect(batch.commits).toEqual(['2']);
  });

  it('does not start records queued behind the bound after the batch turned inactive', async () => {
    const batch = batchOf(['a', 'b', 'c', 'd']);
    const started: string[] = [];

    await processBatchByKey(batch, 2, async (record) => {
      started.push(record.offset);
      await yieldTurns();
      batch.active = false;
    });

    expect(started.sort()).toEqual(['0', '1']);
    expect(batch.commits).toEqual(['2']);
  });

  it('processes nothing and commits nothing for an inactive batch', async () => {
    const batch = batchOf(['a', 'b']);
    batch.active = false;
    const processOne = jest.fn(async () => undefined);

    await processBatchByKey(batch, 2, processOne);

    expect(processOne).not.toHaveBeenCalled();
    expect(batch.commits).toEqual([]);
  });

  it('handles an empty batch without committing', async () => {
    const batch = batchOf([]);

    await processBatchByKey(batch, 2, async () => undefined);

    expect(batch.commits).toEqual([]);
  });
});
