import { OutboxMessage } from './outbox/outbox-message.entity';
import { InboxRecord } from './inbox/inbox-record.entity';
import { EventTrace } from './observability/event-trace.entity';
import { ParkedDeadLetter } from './dead-letter/parked-dead-letter.entity';
import { CreateEventBusTables1764200000000 } from './migrations/1764200000000-create-event-bus-tables';
import { CreateEventTraceTable1764250000000 } from './migrations/1764250000000-create-event-trace-table';
import { CreateDeadLetterTable1764400000000 } from './migrations/1764400000000-create-dead-letter-table';

/** Add to the TypeORM DataSource's `entities`. */
export const EVENT_BUS_ENTITIES = [OutboxMessage, InboxRecord, EventTrace, ParkedDeadLetter];

/** Add to the TypeORM DataSource's `migrations` (PostgreSQL and SQLite). */
export const EVENT_BUS_MIGRATIONS = [
  CreateEventBusTables1764200000000,
  CreateEventTraceTable1764250000000,
  CreateDeadLetterTable1764400000000,
];
