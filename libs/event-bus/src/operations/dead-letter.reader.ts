import { CE_HEADERS, CLOUDEVENTS_JSON_CONTENT_TYPE, DLQ_HEADERS } from '../event-bus.constants';
import { deadLetterTopicMissing, offsetNotInPartition } from '../event-bus.messages';
import {
  asDeadLetterTopic,
  deadLetterTopic,
  isDeadLetterTopic,
  topicOfDeadLetters,
} from '../dead-letter/dead-letter-topic';
import { EventBusError } from '../errors/event-bus.error';
import type { IncomingRecord } from '../transports/event-transport.interface';
import type { DeadLetter } from './dead-letter.interface';
import type {
  PartitionRange,
  TopicReader,
  TopicReadResult,
} from '../transports/topic-reader.interface';
import type { ParkedRecord } from '../storage/parked-dead-letter.store';
import { decodeHeaders } from '../transports/record-bytes';
import { mediaTypeOf } from '../envelope/content-type';
import { readStructuredEvent, type StructuredEvent } from '../envelope/structured-cloud-event';
import { noSuchPartition } from '../event-bus.messages';

/** Dead-letter topics named in a "does not exist" error, at most. */
const MAX_LISTED = 20;

/** How a dead-letter read reports progress, besides the topic read options. */
export interface DeadLetterReadOptions {
  /** Told, after each batch, how many letters were read of the total. */
  onProgress?: (read: number, total: number) => void;
}

/** Returning `false` ends the read early. */
export type DeadLetterSink = (letters: DeadLetter[]) => Promise<boolean | void> | boolean | void;

/**
 * Reads dead-letter topics through a `TopicReader`: from the beginning to the end offsets taken
 * when the read starts, in offset order per partition, without committing anything.
 */
export class DeadLetterReader {
  constructor(private readonly reader: TopicReader) {}

  /**
   * The dead-letter topic meant by `name`: an event topic or its `.dlq` topic, tried as given
   * and then with `prefix` (the services' `EVENT_TOPIC_PREFIX`) in front.
   */
  async resolveTopic(name: string, prefix?: string): Promise<string> {
    const dlq = asDeadLetterTopic(name);
    const candidates = prefix && !dlq.startsWith(prefix) ? [dlq, `${prefix}${dlq}`] : [dlq];
    const topics = await this.reader.listTopics();
    const found = candidates.find((candidate) => topics.includes(candidate));
    if (found) return found;
    const known = topics.filter(isDeadLetterTopic).sort();
    throw new EventBusError(deadLetterTopicMissing(candidates, known, MAX_LISTED));
  }

  partitions(topic: string): Promise<PartitionRange[]> {
    return this.reader.partitions(topic);
  }

  /** Hands the letters of `topic` to `sink`, one partition's batch at a time. */
  read(
    topic: string,
    sink: DeadLetterSink,
    options: DeadLetterReadOptions = {},
  ): Promise<TopicReadResult> {
    return this.reader.read(topic, (records) => sink(records.map(toDeadLetter)), {
      onProgress: options.onProgress,
    });
  }

  /** The letter at `partition`/`offset`, or undefined when no record has that offset. */
  async find(topic: string, partition: number, offset: string): Promise<DeadLetter | undefined> {
    const range = (await this.reader.partitions(topic)).find((p) => p.partition === partition);
    if (!range) {
      throw new EventBusError(noSuchPartition(topic, partition));
    }
    if (BigInt(offset) < BigInt(range.low) || BigInt(offset) >= BigInt(range.high)) {
      throw new EventBusError(offsetNotInPartition(topic, partition, range, offset));
    }
    let found: DeadLetter | undefined;
    await this.reader.read(
      topic,
      (records) => {
        const record = records.find((r) => BigInt(r.offset) >= BigInt(offset));
        if (record && record.offset === offset) found = toDeadLetter(record);
        return record === undefined;
      },
      { partitions: [partition], from: new Map([[partition, offset]]) },
    );
    return found;
  }
}

/** Reads the event attributes and failure headers of a dead-letter record. */
export function toDeadLetter(record: IncomingRecord): DeadLetter {
  const h = record.headers;
  const header = (name: string): string | null => {
    const value = h[name];
    return value === undefined || value === '' ? null : value;
  };
  const structured = structuredEventOf(record);
  // A structured letter's event attributes are in its value; the failure headers are headers.
  const attribute = (name: string): string | null =>
    structured ? (structured.attributes[name] ?? null) : header(name);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    rawKey: record.rawKey,
    timestamp: new Date(record.timestamp),
    eventId: attribute(CE_HEADERS.id),
    type: attribute(CE_HEADERS.type),
    version: attribute(CE_HEADERS.dataVersion),
    source: attribute(CE_HEADERS.source),
    time: attribute(CE_HEADERS.time),
    originalTopic: header(DLQ_HEADERS.originalTopic) ?? topicOfDeadLetters(record.topic),
    originalPartition: header(DLQ_HEADERS.originalPartition),
    originalOffset: header(DLQ_HEADERS.originalOffset),
    errorType: header(DLQ_HEADERS.errorType),
    errorMessage: header(DLQ_HEADERS.errorMessage),
    handler: header(DLQ_HEADERS.handler),
    attempts: header(DLQ_HEADERS.attempts),
    failedAt: header(DLQ_HEADERS.failedAt),
    headers: { ...h },
    rawHeaders: record.rawHeaders,
    value: record.value,
    structured,
  };
}

/**
 * The event of a structured-mode letter, read with the consumer's own bounds and poisoning
 * protection (the letter's size is its own bound: the broker took it); null when the record is
 * binary mode or its value is no valid structured event (then it replays as nothing).
 */
function structuredEventOf(record: IncomingRecord): StructuredEvent | null {
  const contentType = record.headers[CE_HEADERS.contentType];
  if (contentType === undefined || mediaTypeOf(contentType) !== CLOUDEVENTS_JSON_CONTENT_TYPE) {
    return null;
  }
  try {
    return readStructuredEvent(record.value, record.value.length);
  } catch {
    return null;
  }
}

/** `<dlq topic>/<partition>/<offset>`: how a dead letter is named in output and headers. */
export function deadLetterAddress(
  letter: Pick<DeadLetter, 'topic' | 'partition' | 'offset'>,
): string {
  return `${letter.topic}/${letter.partition}/${letter.offset}`;
}

/**
 * A dead letter the broker refused, read back from `event_dead_letter`, as the full letter it
 * would have been: the original bytes plus the reasons, so it replays like any other.
 */
export function parkedToDeadLetter(parked: ParkedRecord): DeadLetter {
  const reasons: Record<string, string> = {
    [DLQ_HEADERS.errorType]: parked.errorType,
    [DLQ_HEADERS.errorMessage]: parked.errorMessage,
    [DLQ_HEADERS.attempts]: String(parked.attempts),
    [DLQ_HEADERS.originalTopic]: parked.topic,
    [DLQ_HEADERS.originalPartition]: String(parked.partition),
    [DLQ_HEADERS.originalOffset]: parked.offset,
    [DLQ_HEADERS.failedAt]: parked.parkedAt.toISOString(),
    [DLQ_HEADERS.parkedId]: parked.id,
    ...(parked.handler ? { [DLQ_HEADERS.handler]: parked.handler } : {}),
  };
  const rawHeaders = { ...parked.rawHeaders };
  for (const [name, value] of Object.entries(reasons)) rawHeaders[name] = [Buffer.from(value)];
  return toDeadLetter({
    topic: deadLetterTopic(parked.topic),
    partition: parked.partition,
    offset: parked.offset,
    key: parked.rawKey === null ? null : parked.rawKey.toString('utf8'),
    rawKey: parked.rawKey,
    value: parked.value,
    headers: decodeHeaders(rawHeaders),
    rawHeaders,
    timestamp: parked.parkedAt.getTime(),
  });
}
