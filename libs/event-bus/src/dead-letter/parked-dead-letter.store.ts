import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import sjson from 'secure-json-parse';
import { TransactionRunner } from '../database/transaction-runner';
import { ParkedDeadLetter } from './parked-dead-letter.entity';

/** A record's bytes as they came off the broker (the shape of an `IncomingRecord`'s). */
export interface RecordBytes {
  topic: string;
  partition: number;
  offset: string;
  rawKey: Buffer | null;
  value: Buffer;
  /** Every value of each header, in order. */
  rawHeaders: Record<string, Buffer[]>;
}

export interface ParkedReason {
  errorType: string;
  errorMessage: string;
  attempts: number;
  groupId: string;
  handler: string | null;
  refusal: string;
}

/** A parked dead letter as read back: the original bytes and why. */
export interface ParkedRecord extends RecordBytes, ParkedReason {
  id: string;
  parkedAt: Date;
  replayedAt: Date | null;
}

const MAX_LIST = 1000;

/** Keeps dead letters the broker refused in `event_dead_letter`, byte for byte. */
@Injectable()
export class ParkedDeadLetterStore {
  constructor(private readonly db: TransactionRunner) {}

  /** Stores the record whole; returns the row's id (the reduced dead letter's reference). */
  async park(record: RecordBytes, reason: ParkedReason): Promise<string> {
    const row = Object.assign(new ParkedDeadLetter(), {
      id: uuidv7(),
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      keyBase64: record.rawKey === null ? null : record.rawKey.toString('base64'),
      valueBase64: record.value.toString('base64'),
      headers: JSON.stringify(
        Object.entries(record.rawHeaders).map(([name, values]) => [
          name,
          values.map((v) => v.toString('base64')),
        ]),
      ),
      ...reason,
      parkedAt: new Date(),
      replayedAt: null,
    });
    await this.db.dataSource.getRepository(ParkedDeadLetter).insert(row);
    return row.id;
  }

  /** Oldest first; replayed rows only when asked. */
  async list(options: { limit?: number; includeReplayed?: boolean } = {}): Promise<ParkedRecord[]> {
    const rows = await this.db.dataSource.getRepository(ParkedDeadLetter).find({
      where: options.includeReplayed ? {} : { replayedAt: IsNull() },
      order: { parkedAt: 'ASC', id: 'ASC' },
      take: Math.min(Math.max(1, options.limit ?? 100), MAX_LIST),
    });
    return rows.map(toParkedRecord);
  }

  async get(id: string): Promise<ParkedRecord | undefined> {
    const row = await this.db.dataSource.getRepository(ParkedDeadLetter).findOneBy({ id });
    return row ? toParkedRecord(row) : undefined;
  }

  async markReplayed(id: string, at = new Date()): Promise<void> {
    await this.db.dataSource.getRepository(ParkedDeadLetter).update({ id }, { replayedAt: at });
  }

  /** Rows not yet replayed (health and metrics). */
  async countUnreplayed(): Promise<number> {
    return this.db.dataSource.getRepository(ParkedDeadLetter).countBy({ replayedAt: IsNull() });
  }
}

function toParkedRecord(row: ParkedDeadLetter): ParkedRecord {
  const rawHeaders: Record<string, Buffer[]> = {};
  for (const [name, values] of sjson.parse(row.headers) as Array<[string, string[]]>)
    rawHeaders[name] = values.map((v) => Buffer.from(v, 'base64'));
  return {
    id: row.id,
    topic: row.topic,
    partition: row.partition,
    offset: row.offset,
    rawKey: row.keyBase64 === null ? null : Buffer.from(row.keyBase64, 'base64'),
    value: Buffer.from(row.valueBase64, 'base64'),
    rawHeaders,
    errorType: row.errorType,
    errorMessage: row.errorMessage,
    attempts: row.attempts,
    groupId: row.groupId,
    handler: row.handler,
    refusal: row.refusal,
    parkedAt: row.parkedAt,
    replayedAt: row.replayedAt,
  };
}
