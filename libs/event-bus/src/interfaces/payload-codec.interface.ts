/** What a payload codec knows of the event whose data it encodes or decodes. */
export interface PayloadCodecContext {
  /** The event type (`ce_type`), for a codec that keeps one schema per type. */
  readonly type: string;
  /** The event's schema version (`ce_dataversion`). */
  readonly version: number;
  readonly topic: string;
}

/**
 * Turns an event's data into the bytes on the wire and back: JSON by default, or Avro, Protobuf
 * and the like, with a schema registry, plugged in as `codec.payload`.
 *
 * Either method may return a promise (a schema looked up in a registry), or a value, which keeps
 * a codec with its schemas at hand as fast as the built-in JSON one. The outbox keeps every event
 * as JSON whatever the codec, so `encode` runs in the relay, outside any business transaction:
 * a registry that is down delays sending (the row backs off) and fails no publish.
 *
 * `decode` reads bytes no one vouched for: bound what it allocates, never build types from names
 * in them. Throw `InvalidEventError` for bytes that can never decode (the record is dead-lettered
 * at once with that reason). Any other error counts as malformed, too, unless the consumer
 * classifies it as an outage (`consumer.isTransient`, or a connection error): then the partition
 * waits and decodes again, as for an unavailable database.
 *
 * @publicApi
 * @example
 * class AvroPayloadCodec implements PayloadCodec {
 *   readonly contentType = 'application/avro';
 *   constructor(private readonly registry: SchemaRegistry) {}
 *   encode(data: object, event: PayloadCodecContext): Promise<Buffer> {
 *     return this.registry.encode(`${event.type}-v${event.version}`, data);
 *   }
 *   decode(bytes: Buffer): Promise<object> {
 *     return this.registry.decode(bytes);
 *   }
 * }
 * EventBusModule.forRoot({ serviceId: 'orders', codec: { payload: new AvroPayloadCodec(registry) } });
 */
export interface PayloadCodec {
  /**
   * The media type the codec writes and reads (`application/avro`), without parameters: sent as
   * `content-type` (binary mode) or `datacontenttype` (structured mode); a record whose content
   * type has another media type (compared case-insensitively) is malformed.
   */
  readonly contentType: string;
  /** The wire bytes of an event's data (the JSON object it was published as). */
  encode(data: object, event: PayloadCodecContext): Buffer | Promise<Buffer>;
  /** The data held in `bytes`: an object, which upcasters and validation see next. */
  decode(bytes: Buffer, event: PayloadCodecContext): object | Promise<object>;
}
