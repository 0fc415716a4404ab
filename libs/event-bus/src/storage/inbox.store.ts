import type { StorageTransaction } from './unit-of-work';

/**
 * The storage port of the inbox (`event_inbox`): one row per event id and handler, written in
 * the handler's transaction. A second claim of the same pair must fail (a duplicate) even when
 * two instances claim at once, which a primary key on the pair gives.
 */
export abstract class InboxStore {
  /** Records the pair in `tx`; false when it was recorded before (a duplicate). */
  abstract claim(tx: StorageTransaction, eventId: string, handlerId: string): Promise<boolean>;

  /** Records many events for one handler in `tx`; returns the ids recorded now. */
  abstract claimMany(
    tx: StorageTransaction,
    eventIds: readonly string[],
    handlerId: string,
  ): Promise<Set<string>>;

  abstract isProcessed(eventId: string, handlerId: string): Promise<boolean>;

  abstract deleteProcessedBefore(cutoff: Date): Promise<number>;
}
