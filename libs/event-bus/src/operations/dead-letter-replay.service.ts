import { Injectable } from '@nestjs/common';
import { type StorageTransaction, UnitOfWork } from '../storage/unit-of-work';
import { type OutboxRow, OutboxStore } from '../storage/outbox.store';
import type { OutgoingRecord } from '../transports/event-transport.interface';
import type { DeadLetter } from './dead-letter.interface';
import { deadLetterAddress } from './dead-letter.reader';
import { OutboxInspector } from './outbox.inspector';
import { REPLAY_CHUNK_SIZE } from './replay.constants';
import { buildReplayRow, ReplayStamp } from './replay-row.factory';

/**
 * - `replay`: a new outbox row sends the event again.
 * - `requeue`: the outbox already holds a sent (or failed) row with the event's id, from the
 *   original publish or an earlier replay; it is replaced by the replay's row.
 * - `send`: the letter's key or headers are bytes the outbox's text columns cannot hold, so it
 *   is sent to the broker directly, byte for byte (`reason` says why).
 * - `skip`: nothing is written; `reason` says why.
 */
export type ReplayOutcome = 'replay' | 'requeue' | 'send' | 'skip';

/** What a replay does with one dead letter, and why. */
export interface ReplayDecision {
  letter: DeadLetter;
  outcome: ReplayOutcome;
  reason?: string;
}

/** Options of a dead-letter replay: who replays, dry run or execute, and when. */
export interface ReplayOptions {
  /** Who replays: the `x-replayed-by` header. */
  by: string;
  /** Write the rows; otherwise only decide what would be written (a dry run). */
  execute: boolean;
  /** The replay's time (`x-replayed-at`); now by default. */
  at?: Date;
  /**
   * Sends the `send` outcomes' records to the broker. Without it those letters are skipped:
   * through the outbox their bytes would change.
   */
  send?: (records: OutgoingRecord[]) => Promise<void>;
}

/** How many dead letters a replay handled, by outcome. */
export type ReplayTotals = Record<ReplayOutcome, number>;

/**
 * Sends dead letters again through the outbox: each becomes a pending row for its original
 * topic, written in one transaction per chunk, which the relay of the service that owns the
 * database sends like any other event.
 *
 * @example
 * const replay = replays.start({ by: 'alice', execute: true });
 * await deadLetters.read('user.registered.dlq', (letters) => replay.add(letters));
 * replay.totals; // { replay: 3, requeue: 0, skip: 1 }
 */
@Injectable()
export class DeadLetterReplayService {
  constructor(
    private readonly store: OutboxStore,
    private readonly inspector: OutboxInspector,
    private readonly db: UnitOfWork,
  ) {}

  start(options: ReplayOptions): DeadLetterReplay {
    return new DeadLetterReplay(this.store, this.inspector, this.db, options);
  }
}

/** One replay run: remembers the events it wrote, so one event is written once per run. */
export class DeadLetterReplay {
  readonly totals: ReplayTotals = { replay: 0, requeue: 0, send: 0, skip: 0 };
  /** Event id → the letter this run replays it from. */
  private readonly written = new Map<string, string>();
  private readonly stamp: ReplayStamp;

  constructor(
    private readonly store: OutboxStore,
    private readonly inspector: OutboxInspector,
    private readonly db: UnitOfWork,
    private readonly options: ReplayOptions,
  ) {
    this.stamp = { by: options.by, at: options.at ?? new Date() };
  }

  /** Decides (and, when executing, writes) the letters in the order given. */
  async add(letters: DeadLetter[]): Promise<ReplayDecision[]> {
    const decisions: ReplayDecision[] = [];
    for (let i = 0; i < letters.length; i += REPLAY_CHUNK_SIZE) {
      const chunk = letters.slice(i, i + REPLAY_CHUNK_SIZE);
      decisions.push(...(await this.addChunk(chunk)));
    }
    for (const decision of decisions) this.totals[decision.outcome] += 1;
    return decisions;
  }

  private async addChunk(letters: DeadLetter[]): Promise<ReplayDecision[]> {
    if (!this.options.execute) {
      return (await this.decide(letters)).decisions;
    }
    return this.db.run(async (tx) => {
      const { decisions, rows, replaced, records } = await this.decide(letters, tx);
      await this.store.deleteIds(tx, replaced);
      await this.store.insert(tx, rows);
      // Inside the transaction: a refused send rolls the chunk's rows back with it.
      if (records.length > 0) await this.options.send!(records);
      return decisions;
    });
  }

  private async decide(
    letters: DeadLetter[],
    tx?: StorageTransaction,
  ): Promise<{
    decisions: ReplayDecision[];
    rows: OutboxRow[];
    replaced: string[];
    records: OutgoingRecord[];
  }> {
    const built = letters.map((letter) => ({ letter, result: buildReplayRow(letter, this.stamp) }));
    const ids = built.flatMap(({ letter, result }) => ('skip' in result ? [] : [letter.eventId!]));
    const existing = await this.inspector.statuses([...new Set(ids)], tx);

    const decisions: ReplayDecision[] = [];
    const rows: OutboxRow[] = [];
    const replaced: string[] = [];
    const records: OutgoingRecord[] = [];
    for (const { letter, result } of built) {
      if ('skip' in result) {
        decisions.push({ letter, outcome: 'skip', reason: result.skip });
        continue;
      }
      if ('record' in result && !this.options.send) {
        decisions.push({
          letter,
          outcome: 'skip',
          reason: `${result.why}: the outbox would change its bytes, and no broker to send it to`,
        });
        continue;
      }
      const id = letter.eventId!;
      const earlier = this.written.get(id);
      if (earlier) {
        decisions.push({
          letter,
          outcome: 'skip',
          reason: `same event as ${earlier}, replayed by this run`,
        });
        continue;
      }
      const status = existing.get(id);
      if (status === 'pending') {
        decisions.push({
          letter,
          outcome: 'skip',
          reason: 'a pending outbox row already has this event id (replayed before, not sent yet)',
        });
        continue;
      }
      if ('record' in result) {
        decisions.push({
          letter,
          outcome: 'send',
          reason: `${result.why}: sent to the broker byte for byte, not through the outbox`,
        });
        records.push(result.record);
        this.written.set(id, deadLetterAddress(letter));
        continue;
      }
      const { row } = result;
      if (status) {
        replaced.push(row.id);
        decisions.push({
          letter,
          outcome: 'requeue',
          reason: `replaces the ${status} outbox row with this event id`,
        });
      } else {
        decisions.push({ letter, outcome: 'replay' });
      }
      rows.push(row);
      this.written.set(row.id, deadLetterAddress(letter));
    }
    return { decisions, rows, replaced, records };
  }
}
