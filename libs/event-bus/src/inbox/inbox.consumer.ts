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

  /**
   * The batch path's deduplicate step: one transaction claims the rows of many events for one
   * handler, and `work` runs for the claimed ones in it. Resolves to the ids claimed (the others
   * are duplicates) once the transaction has committed.
   */
  handleManyOnce(
    eventIds: readonly string[],
    handlerId: string,
    work: (tx: StorageTransaction, claimed: ReadonlySet<string>) => Promise<void>,
  ): Promise<ReadonlySet<string>> {
    return this.db.run(async (tx) => {
      const claimed = await this.store.claimMany(tx, eventIds, handlerId);
      await work(tx, claimed);
      return claimed;
    });
  }
}
