import { Inject, Injectable } from '@nestjs/common';
import {
  CE_HEADERS,
  CLOUDEVENTS_JSON_CONTENT_TYPE,
  CLOUDEVENTS_SPEC_VERSION,
  EVENT_BUS_RESOLVED_OPTIONS,
  JSON_CONTENT_TYPE,
} from '../event-bus.constants';
import { EventBusError } from '../errors/event-bus.error';
import { InvalidEventError } from '../errors/invalid-event.error';
import { classifyTransient } from '../errors/transient-failure';
import {
  attributeTooLong,
  badAttribute,
  badCeTime,
  badDataVersion,
  eventPayloadTooLarge,
  headerTooLong,
  missingAttribute,
  missingHeader,
  payloadCodecIsAsync,
  payloadDecodeFailed,
  payloadTooLarge,
  structuredDataNotAnObject,
  structuredDataNotBytes,
  unsupportedContentType,
  unsupportedSpecVersion,
} from '../event-bus.messages';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { PayloadCodec, PayloadCodecContext } from '../interfaces/payload-codec.interface';
import type { IncomingRecord, OutgoingRecord } from '../transports/event-transport.interface';
import { describeError } from '../util/describe-error';
import { isJsonContentType, mediaTypeOf } from './content-type';
import type { EncodableEvent, EventEnvelope } from './event-envelope.interface';
import { JsonPayloadCodec, parseJson } from './json-payload.codec';
import {
  attributeOfHeader,
  kindOf,
  MAX_ATTRIBUTE_LENGTH,
  readStructuredEvent,
  STRUCTURED_CONTENT_TYPE,
  type StructuredEvent,
  writeStructuredEvent,
} from './structured-cloud-event';

/** How the attribute checks name what they read, in binary mode (headers) or structured mode. */
interface AttributeWords {
  missing(header: string): string;
  tooLong(header: string, max: number): string;
  dataVersion(value: string): string;
  time(value: string): string;
}

const HEADER_WORDS: AttributeWords = {
  missing: missingHeader,
  tooLong: headerTooLong,
  dataVersion: badDataVersion,
  time: badCeTime,
};

const attributeOf = (header: string): string => attributeOfHeader(header) ?? header;
const ATTRIBUTE_WORDS: AttributeWords = {
  missing: (header) => missingAttribute(attributeOf(header)),
  tooLong: (header, max) => attributeTooLong(attributeOf(header), max),
  dataVersion: (value) => badAttribute('dataversion', value, 'a positive integer'),
  time: (value) => badAttribute('time', value, 'an RFC 3339 timestamp'),
};

/** A codec's promise, told apart from data by its `then` (which JSON data never has as a function). */
function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

const JSON_DATA = 'JSON (application/json, or a type ending in /json or +json)';

/**
 * CloudEvents 1.0 on Kafka: binary mode (attributes in `ce_*` headers, the payload as the
 * value) by default, structured mode (the whole event as JSON, `codec.mode: 'structured'`) on
 * request; both are read on receipt. The record key is the event key. Everything arriving is
 * untrusted: sizes are bounded and JSON is parsed with prototype-poisoning protection. The type
 * is only read here, as text; it resolves to a class only through the registry, in the consume
 * pipeline's route and upcast steps (`consumer/pipeline/`).
 *
 * The payload is JSON unless `codec.payload` plugs in another codec. Encoding and decoding are
 * synchronous for JSON; with a plugged-in codec they may return a promise (a schema registry).
 */
@Injectable()
export class CloudEventCodec {
  /** A plugged-in payload codec; undefined for JSON, whose path does no extra work per record. */
  private readonly payload: PayloadCodec | undefined;
  private readonly payloadMediaType: string | undefined;
  private readonly structured: boolean;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
  ) {
    const payload = options.codec.payload;
    this.payload = payload instanceof JsonPayloadCodec ? undefined : payload;
    this.payloadMediaType = this.payload && mediaTypeOf(this.payload.contentType);
    this.structured = options.codec.mode === 'structured';
  }

  /**
   * The record of an outbox row, in the configured mode, for JSON and synchronous payload codecs;
   * one that answers with a promise needs `encodeRecord`.
   */
  encode(event: EncodableEvent): OutgoingRecord {
    return this.now(this.encodeRecord(event));
  }

  /**
   * The record of an outbox row, in the configured mode: at once, or (a payload codec's
   * promise) later. The relay awaits it once per batch, so JSON pays nothing per record.
   */
  encodeRecord(event: EncodableEvent): OutgoingRecord | Promise<OutgoingRecord> {
    const codec = this.payload;
    if (codec === undefined) {
      return this.structured
        ? this.structuredRecord(event, JSON_CONTENT_TYPE, { json: event.payload })
        : this.binaryRecord(event, JSON_CONTENT_TYPE, Buffer.from(event.payload));
    }
    const context: PayloadCodecContext = {
      type: event.type,
      version: event.version,
      topic: event.topic,
    };
    const bytes = codec.encode(parseJson(event.payload) as object, context);
    const record = (value: Buffer): OutgoingRecord =>
      this.structured
        ? this.structuredRecord(event, codec.contentType, { bytes: value })
        : this.binaryRecord(event, codec.contentType, value);
    return isPromiseLike(bytes) ? Promise.resolve(bytes).then(record) : record(bytes);
  }

  /**
   * Reads the envelope and decodes the data, for JSON and synchronous payload codecs (one that
   * answers with a promise needs `decodeRecord`); throws `InvalidEventError` for anything
   * malformed.
   */
  decode(record: IncomingRecord): EventEnvelope {
    return this.now(this.decodeRecord(record));
  }

  /**
   * Reads the envelope and decodes the data: at once, or (a payload codec's promise) later;
   * throws or rejects with `InvalidEventError` for anything malformed. A structured record reads
   * as the same envelope as its binary twin, its `headers` showing the attributes under their
   * binary-mode names (`ce_id`, `content-type` of the data), so handlers and the tracing read
   * one shape in both modes.
   */
  decodeRecord(record: IncomingRecord): EventEnvelope | Promise<EventEnvelope> {
    const contentType = record.headers[CE_HEADERS.contentType];
    if (this.payload === undefined) {
      if (contentType === undefined || contentType.startsWith(JSON_CONTENT_TYPE)) {
        const envelope = this.readBinary(record);
        envelope.data = parseJson(record.value);
        return envelope;
      }
    } else if (contentType === undefined || mediaTypeOf(contentType) === this.payloadMediaType) {
      return this.decodePayload(this.readBinary(record), record.value, record.topic);
    }
    if (contentType !== undefined && mediaTypeOf(contentType) === CLOUDEVENTS_JSON_CONTENT_TYPE) {
      return this.decodeStructured(record);
    }
    throw new InvalidEventError(
      'malformed',
      unsupportedContentType(
        String(contentType),
        `${this.payload?.contentType ?? JSON_CONTENT_TYPE} or ${CLOUDEVENTS_JSON_CONTENT_TYPE}`,
      ),
    );
  }

  /** Serialises a payload for the outbox, enforcing the same size bound as on receipt. */
  serialize(type: string, event: object): string {
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    if (bytes > this.options.codec.maxMessageBytes) {
      throw new InvalidEventError(
        'too_large',
        eventPayloadTooLarge(type, bytes, this.options.codec.maxMessageBytes),
      );
    }
    return json;
  }

  private now<T>(value: T | Promise<T>): T {
    if (value instanceof Promise) {
      // Nobody awaits it: its failure is reported by the error below, not as unhandled.
      value.catch(() => undefined);
      throw new EventBusError(payloadCodecIsAsync(this.payload?.contentType ?? JSON_CONTENT_TYPE));
    }
    return value;
  }

  private binaryRecord(event: EncodableEvent, contentType: string, value: Buffer): OutgoingRecord {
    const headers: Record<string, string> = {
      ...event.headers,
      [CE_HEADERS.specVersion]: CLOUDEVENTS_SPEC_VERSION,
      [CE_HEADERS.id]: event.id,
      [CE_HEADERS.source]: this.options.serviceId,
      [CE_HEADERS.type]: event.type,
      [CE_HEADERS.time]: event.createdAt.toISOString(),
      [CE_HEADERS.dataVersion]: String(event.version),
      [CE_HEADERS.contentType]: contentType,
    };
    if (event.destination) headers[CE_HEADERS.destination] = event.destination;
    return { topic: event.topic, key: event.key, value, headers };
  }

  /**
   * The whole event as the record value. The event's `ce_*` headers (correlation id) travel as
   * its attributes; trace context both as attributes and as headers, where Kafka
   * instrumentations look for it; the user's own headers stay headers.
   */
  private structuredRecord(
    event: EncodableEvent,
    contentType: string,
    data: { json: string } | { bytes: Buffer },
  ): OutgoingRecord {
    const attributes: Record<string, string> = {
      specversion: CLOUDEVENTS_SPEC_VERSION,
      id: event.id,
      source: this.options.serviceId,
      type: event.type,
      time: event.createdAt.toISOString(),
      datacontenttype: contentType,
      dataversion: String(event.version),
    };
    if (event.destination) attributes.destination = event.destination;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.headers)) {
      const attribute = attributeOfHeader(name);
      if (
        attribute === undefined ||
        name === CE_HEADERS.traceparent ||
        name === CE_HEADERS.tracestate
      ) {
        headers[name] = value;
      }
      if (attribute !== undefined && !Object.hasOwn(attributes, attribute)) {
        attributes[attribute] = value;
      }
    }
    headers[CE_HEADERS.contentType] = STRUCTURED_CONTENT_TYPE;
    return {
      topic: event.topic,
      key: event.key,
      value: writeStructuredEvent(attributes, data),
      headers,
    };
  }

  /** The attributes of a binary-mode record (its value not yet read). */
  private readBinary(record: IncomingRecord): EventEnvelope {
    const max = this.options.codec.maxMessageBytes;
    if (record.value.length > max) {
      throw new InvalidEventError('too_large', payloadTooLarge(record.value.length, max));
    }
    return this.readAttributes(record.headers, record, HEADER_WORDS);
  }

  /**
   * A structured record: the attributes from its value alone (headers prove nothing), except
   * trace context, which a Kafka instrumentation may have put only in the headers.
   */
  private decodeStructured(record: IncomingRecord): EventEnvelope | Promise<EventEnvelope> {
    const event = readStructuredEvent(record.value, this.options.codec.maxMessageBytes);
    const { attributes } = event;
    for (const name of [CE_HEADERS.traceparent, CE_HEADERS.tracestate]) {
      const header = record.headers[name];
      if (attributes[name] === undefined && header !== undefined) {
        if (header.length > MAX_ATTRIBUTE_LENGTH) {
          throw new InvalidEventError('malformed', headerTooLong(name, MAX_ATTRIBUTE_LENGTH));
        }
        attributes[name] = header;
      }
    }
    const envelope = this.readAttributes(attributes, record, ATTRIBUTE_WORDS);
    envelope.headers = { ...record.headers, ...attributes };
    if (this.payload === undefined) {
      envelope.data = this.structuredJson(event, record.value.length);
      return envelope;
    }
    return this.decodePayload(envelope, this.structuredBytes(event), record.topic);
  }

  /** JSON data of a structured event: a JSON object, as `data` or as base64 JSON text. */
  private structuredJson(event: StructuredEvent, valueBytes: number): object {
    const max = this.options.codec.maxMessageBytes;
    const { data, dataContentType } = event;
    if (!isJsonContentType(dataContentType)) {
      throw new InvalidEventError('malformed', unsupportedContentType(dataContentType, JSON_DATA));
    }
    let value: unknown;
    if (data.kind === 'bytes') {
      this.checkDataSize(data.value.length);
      value = parseJson(data.value);
    } else {
      value = data.value;
      // A value within the limit holds data within it; only a larger one is measured.
      if (valueBytes > max) this.checkDataSize(Buffer.byteLength(JSON.stringify(value)));
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidEventError('malformed', structuredDataNotAnObject(kindOf(value)));
    }
    return value;
  }

  /** The bytes of a structured event's data, for the plugged-in payload codec. */
  private structuredBytes({ data, dataContentType }: StructuredEvent): Buffer {
    if (mediaTypeOf(dataContentType) !== this.payloadMediaType) {
      throw new InvalidEventError(
        'malformed',
        unsupportedContentType(dataContentType, this.payload!.contentType),
      );
    }
    let bytes: Buffer;
    if (data.kind === 'bytes') bytes = data.value;
    else if (typeof data.value === 'string') bytes = Buffer.from(data.value, 'utf8');
    else throw new InvalidEventError('malformed', structuredDataNotBytes(dataContentType));
    this.checkDataSize(bytes.length);
    return bytes;
  }

  private checkDataSize(bytes: number): void {
    const max = this.options.codec.maxMessageBytes;
    if (bytes > max) throw new InvalidEventError('too_large', payloadTooLarge(bytes, max));
  }

  /** The plugged-in codec's data for the envelope, its failures sorted into poison and outage. */
  private decodePayload(
    envelope: EventEnvelope,
    bytes: Buffer,
    topic: string,
  ): EventEnvelope | Promise<EventEnvelope> {
    const codec = this.payload!;
    const context: PayloadCodecContext = { type: envelope.type, version: envelope.version, topic };
    let data: object | Promise<object>;
    try {
      data = codec.decode(bytes, context);
    } catch (error) {
      throw this.decodeFailure(codec, error);
    }
    if (!isPromiseLike(data)) {
      envelope.data = data;
      return envelope;
    }
    return Promise.resolve(data).then(
      (value) => {
        envelope.data = value;
        return envelope;
      },
      (error: unknown) => {
        throw this.decodeFailure(codec, error);
      },
    );
  }

  /**
   * An outage (a schema registry unreachable) is thrown as it is, for the consumer to wait it
   * out; anything else the codec throws means the bytes are bad: malformed, dead-lettered.
   */
  private decodeFailure(codec: PayloadCodec, error: unknown): unknown {
    if (error instanceof InvalidEventError) return error;
    if (classifyTransient(error, this.options.consumer.isTransient)) return error;
    return new InvalidEventError(
      'malformed',
      payloadDecodeFailed(codec.contentType, describeError(error)),
      error,
    );
  }

  /** The attributes both modes share, read from binary-mode header names. */
  private readAttributes(
    h: Record<string, string>,
    record: IncomingRecord,
    words: AttributeWords,
  ): EventEnvelope {
    const id = this.required(h, CE_HEADERS.id, words);
    const type = this.required(h, CE_HEADERS.type, words);
    const source = this.required(h, CE_HEADERS.source, words);
    const specVersion = this.required(h, CE_HEADERS.specVersion, words);
    if (specVersion !== CLOUDEVENTS_SPEC_VERSION) {
      throw new InvalidEventError('malformed', unsupportedSpecVersion(specVersion));
    }
    const versionText = h[CE_HEADERS.dataVersion] ?? '1';
    const version = Number(versionText);
    if (!/^[1-9][0-9]{0,8}$/.test(versionText)) {
      throw new InvalidEventError('malformed', words.dataVersion(versionText));
    }
    const timeText = h[CE_HEADERS.time];
    const time = timeText ? new Date(timeText) : new Date(record.timestamp);
    if (Number.isNaN(time.getTime())) {
      throw new InvalidEventError('malformed', words.time(timeText ?? ''));
    }
    return {
      id,
      type,
      version,
      source,
      time,
      key: record.key,
      destination: h[CE_HEADERS.destination],
      correlationId: h[CE_HEADERS.correlationId],
      traceparent: h[CE_HEADERS.traceparent],
      tracestate: h[CE_HEADERS.tracestate],
      headers: h,
      data: undefined,
    };
  }

  private required(headers: Record<string, string>, name: string, words: AttributeWords): string {
    const value = headers[name];
    if (value === undefined || value === '') {
      throw new InvalidEventError('malformed', words.missing(name));
    }
    if (value.length > MAX_ATTRIBUTE_LENGTH) {
      throw new InvalidEventError('malformed', words.tooLong(name, MAX_ATTRIBUTE_LENGTH));
    }
    return value;
  }
}
