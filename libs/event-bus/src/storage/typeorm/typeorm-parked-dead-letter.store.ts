import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import sjson from 'secure-json-parse';
import {
  MAX_PARKED_LIST,
  type ParkedReason,
  type ParkedRecord,
  type RecordBytes,
  ParkedDeadLetterStore,
} from '../parked-dead-letter.store';
import { TypeOrmUnitOfWork } from './typeorm-unit-of-work';
import { ParkedDeadLetter } from './entities/parked-dead-letter.entity';

/** The parked-dead-letter port on TypeORM: `event_dead_letter`, byte for byte as base64. */
@Injectable()
export class TypeOrmParkedDeadLetterStore extends ParkedDeadLetterStore {
  constructor(private readonly db: TypeOrmUnitOfWork) {
    super();
  }

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

  async list(options: { limit?: number; includeReplayed?: boolean } = {}): Promise<ParkedRecord[]> {
    const rows = await this.db.dataSource.getRepository(ParkedDeadLetter).find({
      where: options.includeReplayed ? {} : { replayedAt: IsNull() },
      order: { parkedAt: 'ASC', id: 'ASC' },
      take: Math.min(Math.max(1, options.limit ?? 100), MAX_PARKED_LIST),
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
