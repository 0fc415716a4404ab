/** A record's bytes as they came off the broker (the shape of an `IncomingRecord`'s). */
export interface RecordBytes {
  topic: string;
  partition: number;
  offset: string;
  rawKey: Buffer | null;
  value: Buffer;
  /** Every value of each header, in order. */
  rawHeaders: Record<string, Buffer[]>;
}

/** Why a record was parked: the error, the attempts, and the group and handler it failed in. */
export interface ParkedReason {
  errorType: string;
  errorMessage: string;
  attempts: number;
  groupId: string;
  handler: string | null;
  refusal: string;
}

/** A parked dead letter as read back: the original bytes and why. */
export interface ParkedRecord extends RecordBytes, ParkedReason {
  id: string;
  parkedAt: Date;
  replayedAt: Date | null;
}

/** The most `list()` returns at once, whatever it is asked for. */
export const MAX_PARKED_LIST = 1000;

/**
 * The storage port of parked dead letters (`event_dead_letter`): records kept whole, byte for
 * byte, when the dead-letter topic refused them or a failure policy chose `park`.
 */
export abstract class ParkedDeadLetterStore {
  /** Stores the record whole; returns the row's id (the reduced dead letter's reference). */
  abstract park(record: RecordBytes, reason: ParkedReason): Promise<string>;

  /** Oldest first, at most `MAX_PARKED_LIST`; replayed rows only when asked. */
  abstract list(options?: { limit?: number; includeReplayed?: boolean }): Promise<ParkedRecord[]>;

  abstract get(id: string): Promise<ParkedRecord | undefined>;

  abstract markReplayed(id: string, at?: Date): Promise<void>;

  /** Rows not yet replayed (health and metrics). */
  abstract countUnreplayed(): Promise<number>;
}
