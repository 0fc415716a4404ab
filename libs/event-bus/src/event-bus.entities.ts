import { OutboxMessage } from './outbox/outbox-message.entity';
import { InboxRecord } from './inbox/inbox-record.entity';
import { EventTrace } from './observability/event-trace.entity';
import { CreateEventBusTables1764200000000 } from './migrations/1764200000000-create-event-bus-tables';
import { CreateEventTraceTable1764250000000 } from './migrations/1764250000000-create-event-trace-table';

/** Add to the TypeORM DataSource's `entities`. */
export const EVENT_BUS_ENTITIES = [OutboxMessage, InboxRecord, EventTrace];

/** Add to the TypeORM DataSource's `migrations` (PostgreSQL and SQLite). */
export const EVENT_BUS_MIGRATIONS = [
  CreateEventBusTables1764200000000,
  CreateEventTraceTable1764250000000,
];
