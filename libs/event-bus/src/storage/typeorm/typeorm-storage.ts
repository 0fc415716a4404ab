import type { EventBusStorage } from '../event-bus-storage';
import { UnitOfWork } from '../unit-of-work';
import { OutboxStore } from '../outbox.store';
import { InboxStore } from '../inbox.store';
import { ParkedDeadLetterStore } from '../parked-dead-letter.store';
import { EventTraceStore } from '../event-trace.store';
import { OutboxNotifications } from '../outbox-notifications';
import { TypeOrmUnitOfWork } from './typeorm-unit-of-work';
import { TypeOrmCommitTracker } from './typeorm-commit.tracker';
import { TypeOrmOutboxStore } from './typeorm-outbox.store';
import { TypeOrmInboxStore } from './typeorm-inbox.store';
import { TypeOrmParkedDeadLetterStore } from './typeorm-parked-dead-letter.store';
import { TypeOrmEventTraceStore } from './typeorm-event-trace.store';
import { TypeOrmOutboxNotifications } from './typeorm-outbox-notifications';

/**
 * The storage adapter on TypeORM (PostgreSQL or better-sqlite3), and the default: the bus's
 * tables live in the application's DataSource (the `dataSource` option names it), so outbox
 * rows commit with the business data and handler writes commit with their inbox row. On
 * PostgreSQL it also carries cross-instance wake-ups of the relay (`LISTEN`/`NOTIFY`).
 */
export function typeOrmStorage(): EventBusStorage {
  return {
    name: 'typeorm',
    providers: [
      TypeOrmCommitTracker,
      TypeOrmUnitOfWork,
      { provide: UnitOfWork, useExisting: TypeOrmUnitOfWork },
      { provide: OutboxStore, useClass: TypeOrmOutboxStore },
      { provide: InboxStore, useClass: TypeOrmInboxStore },
      { provide: ParkedDeadLetterStore, useClass: TypeOrmParkedDeadLetterStore },
      { provide: EventTraceStore, useClass: TypeOrmEventTraceStore },
      { provide: OutboxNotifications, useClass: TypeOrmOutboxNotifications },
    ],
  };
}
