import { Injectable } from '@nestjs/common';
import { OutboxNotifications } from '../outbox-notifications';
import { createListenClient, PostgresOutboxListener } from './postgres-outbox.listener';
import { TypeOrmUnitOfWork } from './typeorm-unit-of-work';

/**
 * The TypeORM adapter's `OutboxNotifications`: on PostgreSQL a `LISTEN` connection of its own,
 * outside the DataSource's pool (a pooled one would be taken from the application for good, and
 * a pool may end idle clients); on SQLite nothing, since one process owns the database file and
 * its commits wake its relay in process.
 */
@Injectable()
export class TypeOrmOutboxNotifications extends OutboxNotifications {
  private listener?: PostgresOutboxListener;

  constructor(private readonly db: TypeOrmUnitOfWork) {
    super();
  }

  async listen(onNotify: () => void): Promise<void> {
    if (this.listener || this.db.dialect.name !== 'postgres') return;
    const dataSource = this.db.dataSource;
    this.listener = new PostgresOutboxListener(() => createListenClient(dataSource), onNotify);
    await this.listener.start();
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }
}
