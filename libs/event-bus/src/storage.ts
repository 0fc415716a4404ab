/**
 * @nestbus/event-bus/storage: the storage port, for authors of a storage adapter
 * (`EventBusModule.forRoot({ storage })`), and the TypeORM adapter, the default, as a reference.
 * ARCHITECTURE.md, "A storage adapter", says what each port promises.
 */
export type { EventBusStorage } from './storage/event-bus-storage';
export { STORAGE_PORTS } from './storage/event-bus-storage';
export { UnitOfWork } from './storage/unit-of-work';
export type { StorageTransaction } from './storage/unit-of-work';
export { OutboxStore } from './storage/outbox.store';
export type {
  OutboxRow,
  OutboxStatus,
  OutboxCounts,
  OutboxStatusReport,
  FailedRowsPage,
} from './storage/outbox.store';
export { InboxStore } from './storage/inbox.store';
export { ParkedDeadLetterStore, MAX_PARKED_LIST } from './storage/parked-dead-letter.store';
export type { ParkedRecord, ParkedReason, RecordBytes } from './storage/parked-dead-letter.store';
export { EventTraceStore } from './storage/event-trace.store';
export { OutboxNotifications } from './storage/outbox-notifications';
export type { EventTraceEntry, EventTraceRow, EventTraceStage } from './storage/event-trace.store';
export { OutboxCommits } from './outbox/outbox-commits';
export { typeOrmStorage } from './storage/typeorm/typeorm-storage';
