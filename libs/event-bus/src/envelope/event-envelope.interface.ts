/** A record's CloudEvents attributes and its parsed (still untyped) data. */
export interface EventEnvelope {
  id: string;
  type: string;
  version: number;
  source: string;
  time: Date;
  key: string | null;
  destination: string | undefined;
  correlationId: string | undefined;
  traceparent: string | undefined;
  tracestate: string | undefined;
  headers: Record<string, string>;
  data: unknown;
}

/** What the codec needs of an outbox row to build a record. */
export interface EncodableEvent {
  id: string;
  type: string;
  version: number;
  key: string | null;
  topic: string;
  destination: string | null;
  payload: string;
  headers: Record<string, string>;
  createdAt: Date;
}
