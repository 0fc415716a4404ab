/**
 * Headers decoded as UTF-8 text, one value per name (the last, when a header came several
 * times): the view the consumer pipeline routes and decodes by.
 */
export type RecordHeaders = Record<string, string>;

/** A header value to send: text (sent as UTF-8) or bytes (sent as they are). */
export type HeaderValue = string | Buffer;

/** Headers to send; an array sends the header once per value, in its order. */
export type OutgoingHeaders = Record<string, HeaderValue | HeaderValue[]>;

/**
 * Headers as received, byte for byte: every value of each name, in the order sent. (kafkajs
 * groups the values of one name together, so names sent interleaved arrive grouped.)
 */
export type RawHeaders = Record<string, Buffer[]>;

/**
 * A record to send. `key` picks the partition (by its bytes; text as UTF-8): records with one
 * key keep their order. Bytes are sent as they are, so a record received can be sent on exactly.
 */
export interface OutgoingRecord {
  topic: string;
  key: string | Buffer | null;
  value: Buffer;
  headers: OutgoingHeaders;
}

/** A record as received, with its position in the log. */
export interface IncomingRecord {
  topic: string;
  partition: number;
  /** Offset as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  /** The key decoded as UTF-8 (bytes that are not UTF-8 become U+FFFD); see `rawKey`. */
  key: string | null;
  /** The key's bytes as the producer sent them. */
  rawKey: Buffer | null;
  value: Buffer;
  /** Decoded view of `rawHeaders`, for routing and decoding. */
  headers: RecordHeaders;
  /** The headers' bytes as the producer sent them, repeated headers included. */
  rawHeaders: RawHeaders;
  /** Broker timestamp, milliseconds since the epoch. */
  timestamp: number;
}

/** Records of one partition, handed to the consumer in log order. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly IncomingRecord[];
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  /** False once the partition was revoked or the subscription is stopping. */
  isActive(): boolean;
  /** Commits `nextOffset` (the offset of the next record to read) for this partition. */
  commit(nextOffset: string): Promise<void>;
}

/** Receives one partition's batch; the transport commits the offsets the batch resolves. */
export type BatchHandler = (batch: RecordBatch) => Promise<void>;

/** One consumer group's subscription: its topics, concurrency and backpressure bounds. */
export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean;
  /** Upper bound of records handed over in one batch. */
  maxBatchSize: number;
  /** How many partitions are processed at once. */
  partitionsConcurrently: number;
}

/** Whether a subscription takes part in its group, and how many partitions it holds. */
export interface SubscriptionStatus {
  joined: boolean;
  partitions: number;
}

/** A running subscription: pause, resume, status and close. */
export interface TransportSubscription {
  status?(): SubscriptionStatus;
  /** Stops fetching a partition (records in hand stay valid). */
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
  /** Stops fetching, waits for batches in progress, and leaves the group. */
  close(): Promise<void>;
}

/** How far a consumer group's committed offset is behind the end of one partition. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Records between the committed offset (or the log start) and the end of the partition. */
  lag: number;
}

/** A topic the bus needs, with its partitions and replication factor. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
}

/**
 * What the bus needs from a broker. Kafka and the in-memory transport implement it; another
 * client can replace kafkajs by implementing this interface.
 */
export interface EventTransport {
  /** Human-readable name used in logs and health output. */
  readonly name: string;
  /** False when records do not survive a process restart (the in-memory transport). */
  readonly durable: boolean;
  connect(): Promise<void>;
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /**
   * Sends records; resolves once the broker has accepted all of them. `signal` aborts a send
   * that is waiting (for room, say) when the caller stops.
   */
  send(records: OutgoingRecord[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Throws when the broker cannot be reached (health checks). */
  checkHealth?(): Promise<void>;
  /**
   * A group's lag per partition from the broker's committed offsets, so a consumer that stopped
   * shows its lag growing (metrics read it at scrape time).
   */
  consumerLag?(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<TransportSubscription>;
  close(): Promise<void>;
}
