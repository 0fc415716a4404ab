import { Injectable } from '@nestjs/common';
import { type StorageTransaction, UnitOfWork } from '../storage/unit-of-work';
import { InboxStore } from '../storage/inbox.store';

export type InboxResult = 'processed' | 'duplicate';

/**
 * Exactly-once effects (the pipeline's deduplicate step): the inbox row and the handler's writes
 * commit in one transaction, and a second delivery of the same event finds the row and skips
 * the handler. Concurrent deliveries to two instances serialise on the row's primary key, so one
 * of them sees a duplicate.
 */
@Injectable()
export class InboxConsumer {
  constructor(
    private readonly db: UnitOfWork,
    private readonly store: InboxStore,
  ) {}

  handleOnce(
    eventId: string,
    handlerId: string,
    work: (tx: StorageTransaction) => Promise<void>,
  ): Promise<InboxResult> {
    return this.db.run(async (tx) => {
      if (!(await this.store.claim(tx, eventId, handlerId))) return 'duplicate';
      await work(tx);
      return 'processed';
    });
  }
}
