import type { IncomingRecord, OutgoingRecord } from '../event-transport.interface';
import { asReceived } from '../record-bytes';
import { Signal } from '../../util/signal';

/** One partition of an in-memory topic: an append-only log with a trimmed prefix. */
export class PartitionLog {
  private records: IncomingRecord[] = [];
  /** Offset of `records[0]`. */
  private startOffset = 0;
  readonly appended = new Signal();
  readonly trimmed = new Signal();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get logStartOffset(): number {
    return this.startOffset;
  }

  get nextOffset(): number {
    return this.startOffset + this.records.length;
  }

  get size(): number {
    return this.records.length;
  }

  /**
   * Stores a copy of the record's bytes, as a broker would: what a consumer receives is what was
   * sent, however the sender reuses its buffers afterwards.
   */
  append(sent: Pick<OutgoingRecord, 'key' | 'value' | 'headers'>): IncomingRecord {
    const record: IncomingRecord = {
      topic: this.topic,
      partition: this.partition,
      offset: String(this.nextOffset),
      ...asReceived(sent),
      timestamp: Date.now(),
    };
    this.records.push(record);
    this.appended.notify();
    return record;
  }

  /** Up to `max` records starting at `fromOffset` (clamped to the log start). */
  read(fromOffset: number, max: number): IncomingRecord[] {
    const from = Math.max(fromOffset, this.startOffset) - this.startOffset;
    return this.records.slice(from, from + max);
  }

  /** Drops records below `offset`. */
  trimTo(offset: number): void {
    const count = Math.min(offset, this.nextOffset) - this.startOffset;
    if (count <= 0) return;
    this.records.splice(0, count);
    this.startOffset += count;
    this.trimmed.notify();
  }
}
