import type { RawHeaders, RecordHeaders } from '../transports/event-transport.interface';
import type { StructuredEvent } from '../envelope/structured-cloud-event';

/**
 * A record of a `<topic>.dlq` topic, with the event attributes and failure headers it carries.
 * Every attribute is null when its header is missing: a dead letter may be any bytes at all.
 */
export interface DeadLetter {
  /** The dead-letter topic, partition and offset: where this letter is. */
  topic: string;
  partition: number;
  offset: string;
  /** The key decoded as UTF-8; `rawKey` holds its bytes. */
  key: string | null;
  rawKey: Buffer | null;
  /** When the letter was written to the dead-letter topic. */
  timestamp: Date;
  /**
   * `ce_id`, `ce_type`, `ce_dataversion` (as written), `ce_source`, `ce_time`: the headers, or
   * for a structured-mode letter the attributes in its value.
   */
  eventId: string | null;
  type: string | null;
  version: string | null;
  source: string | null;
  time: string | null;
  /** `x-original-topic`; the dead-letter topic's name without `.dlq` when missing. */
  originalTopic: string;
  originalPartition: string | null;
  originalOffset: string | null;
  errorType: string | null;
  errorMessage: string | null;
  handler: string | null;
  attempts: string | null;
  failedAt: string | null;
  /** Every header decoded as UTF-8 (a repeated header's last value); `rawHeaders` are the bytes. */
  headers: RecordHeaders;
  rawHeaders: RawHeaders;
  value: Buffer;
  /**
   * The event a structured-mode letter (`content-type: application/cloudevents+json`) holds in
   * its value, attributes under their binary-mode names; null for a binary-mode letter, or one
   * whose value is no valid structured event.
   */
  structured: StructuredEvent | null;
}
