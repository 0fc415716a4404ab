import type { ConnectionOptions } from 'node:tls';

/** SASL authentication for the Kafka transport, passed to kafkajs. */
export type KafkaSaslOptions =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string };

/** Kafka through kafkajs. Only `brokers` is required. */
export interface KafkaTransportOptions {
  type: 'kafka';
  /** `host:port` of one or more brokers. */
  brokers: string[];
  /** Client id shown in broker logs; the service id by default. */
  clientId?: string;
  /** TLS: `true` for the system CAs, or Node TLS options (certificates are verified unless you say otherwise). */
  ssl?: boolean | ConnectionOptions;
  sasl?: KafkaSaslOptions;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Compression of record batches. */
  compression?: 'none' | 'gzip';
  /** Longest wait for one send's acknowledgement before the relay backs off and tries later. */
  sendTimeoutMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Largest fetch per partition, which bounds consumer memory with `consumer.partitionsConcurrently`. */
  maxBytesPerPartition?: number;
}

export const KAFKA_DEFAULTS = {
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 30000,
  compression: 'none',
  sendTimeoutMs: 10000,
  sessionTimeoutMs: 30000,
  heartbeatIntervalMs: 3000,
  maxBytesPerPartition: 1024 * 1024,
} as const;
