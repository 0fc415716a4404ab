import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS, EVENT_TRANSPORT } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { SendingEvent } from '../interfaces/event-bus-interceptor.interface';
import type { EventTransport, OutgoingRecord } from '../transports/event-transport.interface';
import { CloudEventCodec } from '../envelope/cloud-event.codec';
import { type StorageTransaction, UnitOfWork } from '../storage/unit-of-work';
import { InterceptorChain } from '../interceptors/interceptor-chain';
import { OutboxCommits } from './outbox-commits';
import { isNonRetriable } from '../errors/event-bus.error';
import { isTransientFailure } from '../errors/transient-failure';
import { backoffDelay } from '../util/backoff';
import { Signal } from '../util/signal';
import { sleep } from '../util/sleep';
import type { OutboxRow } from '../storage/outbox.store';
import { OutboxStore } from '../storage/outbox.store';
import { OutboxNotifications } from '../storage/outbox-notifications';
import sjson from 'secure-json-parse';
import { describeError } from '../util/describe-error';
import {
  outboxRelayIterationFailed,
  outboxRowSendFailed,
  outboxSendFailed,
  relayStillWaiting,
  relayWaitsForDatabase,
  relayWorksAgain,
  resendingAfterRestart,
} from '../event-bus.messages';

/** Pause after a failed iteration: 500 ms, doubling, at most 10 s. */
const ERROR_BACKOFF = { initialMs: 500, maxMs: 10_000, multiplier: 2, jitter: 0.5 };
const OUTAGE_REMINDER_MS = 30_000;

interface SendResult {
  sent: OutboxRow[];
  /** Rows that failed, grouped by the error they failed with. */
  failed: Map<unknown, OutboxRow[]>;
}

/**
 * Moves committed outbox rows to the broker. Woken right after a transaction that published
 * commits (in this process through `OutboxCommits`; in another through the storage's
 * `OutboxNotifications`, PostgreSQL `LISTEN`), and by a slow poll otherwise. Sends each claimed
 * batch as one transport call, then marks the rows published; a crash in between sends them
 * again, and the consumers' inbox absorbs the duplicate.
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly wakeUp = new Signal();
  private stopping = new AbortController();
  private readonly ensuredTopics = new Set<string>();
  private loop?: Promise<void>;
  private running = false;
  /** Failed batches in a row, when the outage began and was last logged (0: none). */
  private outage = { failures: 0, since: 0, logged: 0 };

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly store: OutboxStore,
    private readonly codec: CloudEventCodec,
    private readonly db: UnitOfWork,
    private readonly interceptors: InterceptorChain,
    commits: OutboxCommits,
    // Optional: a storage adapter without it delivers other instances' rows at the poll.
    @Optional() private readonly notifications?: OutboxNotifications,
  ) {
    // A commit that wrote outbox rows wakes the relay at once; the poll is the fallback.
    commits.onCommit(() => this.wake());
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!this.transport.durable && this.options.outbox.redeliverOnStartupMs > 0) {
      const since = new Date(Date.now() - this.options.outbox.redeliverOnStartupMs);
      const requeued = await this.store.requeuePublishedSince(since);
      if (requeued > 0) {
        this.logger.log(resendingAfterRestart(requeued, this.transport.name));
      }
    }
    // Before the first claim, so that no commit falls between it and the first notification.
    if (this.options.outbox.listen) await this.notifications?.listen(() => this.wake());
    this.stopping = new AbortController();
    this.running = true;
    this.loop = this.run();
  }

  /** Asks the relay to look for due rows now. */
  wake(): void {
    this.wakeUp.notify();
  }

  /** Finishes the batch in progress, then stops. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping.abort();
    this.wakeUp.notify();
    await this.loop;
    await this.notifications?.close();
  }

  /** Claims, sends and marks one batch; returns how many rows it handled. */
  async relayOnce(onClaimed?: (rows: number) => void): Promise<number> {
    return this.db.locksClaimedRows
      ? this.relayLocked(onClaimed)
      : this.relaySingleWriter(onClaimed);
  }

  /**
   * The relay's loop. While claims come back full (a backlog), the next batch is claimed as soon
   * as the previous one is claimed, up to `outbox.batchesInFlight` (PostgreSQL: the claims'
   * row locks keep the batches apart, and each claim leaves out rows behind a key's older row
   * still in flight); so one batch's send overlaps the next one's claim and the marking of the
   * one before. Otherwise it waits for a wake-up or the poll.
   */
  private async run(): Promise<void> {
    const { batchSize, pollIntervalMs } = this.options.outbox;
    const lanes = this.db.locksClaimedRows ? this.options.outbox.batchesInFlight : 1;
    const inFlight = new Set<Promise<number>>();
    while (this.running) {
      let claimed!: (rows: number) => void;
      const claim = new Promise<number>((resolve) => (claimed = resolve));
      const batch = this.iterate(claimed);
      inFlight.add(batch);
      void batch.finally(() => inFlight.delete(batch));
      const backlog = (await Promise.race([claim, batch])) >= batchSize;
      if (backlog && inFlight.size < lanes) continue;
      if (backlog) {
        await Promise.race(inFlight);
        continue;
      }
      await Promise.all(inFlight);
      if (this.running) await this.wakeUp.wait(pollIntervalMs);
    }
    await Promise.all(inFlight);
  }

  /**
   * One batch, never failing. A failed batch (the database unreachable, say) leaves every row
   * as it was: nothing is marked failed without a database to mark it in, and a row sent but
   * not yet marked is sent again later, for the inbox to absorb. While the database is
   * unavailable the relay backs off (capped) and logs the outage once, then every 30 s, then its
   * end; the batches in flight share that account.
   */
  private async iterate(claimed: (rows: number) => void): Promise<number> {
    try {
      const handled = await this.relayOnce(claimed);
      if (this.outage.since > 0) {
        this.logger.log(relayWorksAgain(Math.round((Date.now() - this.outage.since) / 1000)));
      }
      this.outage = { failures: 0, since: 0, logged: 0 };
      return handled;
    } catch (error) {
      claimed(0);
      const outage = this.outage;
      outage.failures++;
      const now = Date.now();
      if (!isTransientFailure(error)) {
        this.logger.error(outboxRelayIterationFailed(describeError(error)));
      } else if (outage.since === 0) {
        outage.since = outage.logged = now;
        this.logger.warn(relayWaitsForDatabase(describeError(error)));
      } else if (now - outage.logged >= OUTAGE_REMINDER_MS) {
        outage.logged = now;
        this.logger.warn(
          relayStillWaiting(Math.round((now - outage.since) / 1000), describeError(error)),
        );
      }
      await sleep(backoffDelay(outage.failures, ERROR_BACKOFF), this.stopping.signal);
      return 0;
    }
  }

  /** Locking storage (PostgreSQL): the claim's row locks are held through the send, so instances never overlap. */
  private relayLocked(onClaimed?: (rows: number) => void): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await this.store.claimDue(tx, this.options.outbox.batchSize, new Date());
      onClaimed?.(rows.length);
      if (rows.length === 0) return 0;
      const result = await this.send(rows);
      const now = new Date();
      await this.record(tx, result, now);
      this.report(result, now);
      return rows.length;
    });
  }

  /**
   * A single writer (SQLite): so no locks to hold; the rows are read inside a transaction turn (where no
   * other transaction's uncommitted rows are visible) and the send happens outside it, so a send
   * waiting on a full in-memory topic never blocks the consumers that would drain it.
   */
  private async relaySingleWriter(onClaimed?: (rows: number) => void): Promise<number> {
    const rows = await this.db.transaction((tx) =>
      this.store.claimDue(tx, this.options.outbox.batchSize, new Date()),
    );
    onClaimed?.(rows.length);
    if (rows.length === 0) return 0;
    const result = await this.send(rows);
    const now = new Date();
    await this.db.transaction((tx) => this.record(tx, result, now));
    this.report(result, now);
    return rows.length;
  }

  /** Marks what was sent as published and counts a failed attempt for the rest. */
  private async record(tx: StorageTransaction, result: SendResult, now: Date): Promise<void> {
    await this.store.markPublished(
      tx,
      result.sent.map((r) => r.id),
      now,
    );
    for (const [error, group] of result.failed) {
      await this.store.markAttemptFailed(tx, group, error, now);
    }
  }

  /**
   * Sends all rows as one batch. If the broker refuses the batch for a reason a retry cannot
   * fix (a record too large, say), sends them one by one so one bad row does not hold the rest.
   */
  private async send(rows: OutboxRow[]): Promise<SendResult> {
    try {
      await this.sendRows(rows);
      return { sent: rows, failed: new Map() };
    } catch (error) {
      if (rows.length === 1 || !isNonRetriable(error)) {
        this.logger.warn(outboxSendFailed(rows.length, describeError(error)));
        return { sent: [], failed: new Map([[error, rows]]) };
      }
    }
    const sent: OutboxRow[] = [];
    const failed = new Map<unknown, OutboxRow[]>();
    const blockedKeys = new Set<string>();
    for (const row of rows) {
      if (row.key !== null && blockedKeys.has(row.key)) continue;
      try {
        await this.sendRows([row]);
        sent.push(row);
      } catch (error) {
        this.logger.warn(outboxRowSendFailed(row.id, row.type, describeError(error)));
        failed.set(error, [...(failed.get(error) ?? []), row]);
        if (row.key !== null) blockedKeys.add(row.key);
      }
    }
    return { sent, failed };
  }

  /** Events published without being registered at startup still need their topic. */
  private async ensureTopics(rows: OutboxRow[]): Promise<void> {
    const missing = [...new Set(rows.map((r) => r.topic))].filter(
      (t) => !this.ensuredTopics.has(t),
    );
    if (missing.length === 0) return;
    const { partitions, replicationFactor } = this.options.topics;
    await this.transport.ensureTopics(
      missing.map((name) => ({ name, partitions, replicationFactor })),
    );
    for (const topic of missing) this.ensuredTopics.add(topic);
  }

  /** One transport call for the rows, through the interceptors' `aroundSend`. */
  private sendRows(rows: OutboxRow[]): Promise<void> {
    const events: SendingEvent[] = rows.map((row) => ({
      id: row.id,
      type: row.type,
      topic: row.topic,
      key: row.key,
      headers: sjson.parse(row.headers) as Record<string, string>,
    }));
    return this.interceptors.aroundSend(events, async () => {
      await this.ensureTopics(rows);
      const encoded = rows.map((row, i) => this.encode(row, events[i].headers));
      // A plugged-in payload codec may answer with promises (a schema registry); JSON never does.
      const records = encoded.some((r) => r instanceof Promise)
        ? await Promise.all(encoded)
        : (encoded as OutgoingRecord[]);
      await this.transport.send(records, { signal: this.stopping.signal });
    });
  }

  private encode(
    row: OutboxRow,
    headers: Record<string, string>,
  ): OutgoingRecord | Promise<OutgoingRecord> {
    return this.codec.encodeRecord({
      id: row.id,
      type: row.type,
      version: row.version,
      key: row.key,
      topic: row.topic,
      destination: row.destination,
      payload: row.payload,
      headers,
      createdAt: row.createdAt,
    });
  }

  /** Tells the interceptors' observer hooks what was sent and what failed. */
  private report({ sent, failed }: SendResult, now: Date): void {
    for (const [error, rows] of failed) {
      this.interceptors.sendFailed({
        events: rows.map((row) => ({ id: row.id, type: row.type, topic: row.topic })),
        error,
      });
    }
    if (sent.length === 0) return;
    this.interceptors.sent(
      sent.map((row) => ({
        id: row.id,
        type: row.type,
        topic: row.topic,
        publishedAt: row.createdAt,
        sentAt: now,
        latencyMs: now.getTime() - row.createdAt.getTime(),
      })),
    );
  }
}
