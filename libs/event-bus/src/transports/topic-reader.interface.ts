import type { IncomingRecord } from './event-transport.interface';

/** Where a partition's log starts and ends, as 64-bit offsets in decimal strings. */
export interface PartitionRange {
  partition: number;
  /** Offset of the oldest retained record. */
  low: string;
  /** Offset the next record will get (the high watermark). */
  high: string;
}

/** Which partitions of a topic to read, from which offsets, with progress reports. */
export interface TopicReadOptions {
  /** Partitions to read; all of them by default. */
  partitions?: number[];
  /** First offset to read, per partition; the oldest retained record by default. */
  from?: ReadonlyMap<number, string>;
  /** Told, after each batch, how many records were read of the total the read will cover. */
  onProgress?: (read: number, total: number) => void;
}

/**
 * Receives the records of one partition at a time, in offset order; calls never overlap.
 * Returning `false` ends the read early.
 */
export type RecordSink = (records: IncomingRecord[]) => Promise<boolean | void> | boolean | void;

/** How many records a read saw out of how many, and whether the sink stopped it. */
export interface TopicReadResult {
  /** Records handed to the sink. */
  read: number;
  /** Records between the start offsets and the end offsets captured when the read began. */
  total: number;
  /** True when the sink ended the read before the end offsets. */
  stopped: boolean;
}

/**
 * Reads a topic up to the end offsets captured when the read begins, without joining the
 * topic's consumer groups or committing offsets: what operator tools need to inspect a log
 * without disturbing the services that consume it.
 */
export interface TopicReader {
  listTopics(): Promise<string[]>;
  /** The partitions of `topic`; fails when the topic does not exist. */
  partitions(topic: string): Promise<PartitionRange[]>;
  read(topic: string, sink: RecordSink, options?: TopicReadOptions): Promise<TopicReadResult>;
  close(): Promise<void>;
}
