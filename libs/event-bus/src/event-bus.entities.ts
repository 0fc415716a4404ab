import { OutboxMessage } from './storage/typeorm/entities/outbox-message.entity';
import { InboxRecord } from './storage/typeorm/entities/inbox-record.entity';
import { EventTrace } from './storage/typeorm/entities/event-trace.entity';
import { ParkedDeadLetter } from './storage/typeorm/entities/parked-dead-letter.entity';
import { CreateEventBusTables1764200000000 } from './storage/typeorm/migrations/1764200000000-create-event-bus-tables';
import { CreateEventTraceTable1764250000000 } from './storage/typeorm/migrations/1764250000000-create-event-trace-table';
import { CreateDeadLetterTable1764400000000 } from './storage/typeorm/migrations/1764400000000-create-dead-letter-table';
import { IndexOutboxRowsWaiting1765300000000 } from './storage/typeorm/migrations/1765300000000-index-outbox-rows-waiting';

/** Add to the TypeORM DataSource's `entities`. */
export const EVENT_BUS_ENTITIES = [OutboxMessage, InboxRecord, EventTrace, ParkedDeadLetter];

/** Add to the TypeORM DataSource's `migrations` (PostgreSQL and SQLite). */
export const EVENT_BUS_MIGRATIONS = [
  CreateEventBusTables1764200000000,
  CreateEventTraceTable1764250000000,
  CreateDeadLetterTable1764400000000,
  IndexOutboxRowsWaiting1765300000000,
];
