import { Inject, Injectable, Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import sjson from 'secure-json-parse';
import {
  CE_HEADERS,
  CLOUDEVENTS_SPEC_VERSION,
  EVENT_BUS_RESOLVED_OPTIONS,
  JSON_CONTENT_TYPE,
} from '../event-bus.constants';
import { InvalidEventError } from '../errors/invalid-event.error';
import {
  badCeTime,
  badDataVersion,
  dataNotAnObject,
  eventPayloadTooLarge,
  futureEventVersion,
  headerTooLong,
  missingHeader,
  payloadTooLarge,
  unknownEventType,
  unsupportedContentType,
  unsupportedSpecVersion,
  validationFailed,
  valueNotAcceptable,
} from '../event-bus.messages';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { IncomingRecord, OutgoingRecord } from '../transports/event-transport.interface';
import type { EncodableEvent, EventEnvelope } from './event-envelope.interface';
import { EventTypeRegistry } from './event-type.registry';
import { UpcasterRegistry } from './upcaster.registry';

const MAX_HEADER_LENGTH = 1024;

/**
 * CloudEvents 1.0 in Kafka binary mode: attributes in `ce_*` headers, the JSON payload as the
 * value, the event key as the record key. Everything arriving is untrusted: sizes are bounded,
 * JSON is parsed with prototype-poisoning protection, and types resolve only via the registry.
 */
@Injectable()
export class CloudEventCodec {
  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly types: EventTypeRegistry,
    private readonly upcasters: UpcasterRegistry,
  ) {}

  encode(event: EncodableEvent): OutgoingRecord {
    const headers: Record<string, string> = {
      ...event.headers,
      [CE_HEADERS.specVersion]: CLOUDEVENTS_SPEC_VERSION,
      [CE_HEADERS.id]: event.id,
      [CE_HEADERS.source]: this.options.serviceId,
      [CE_HEADERS.type]: event.type,
      [CE_HEADERS.time]: event.createdAt.toISOString(),
      [CE_HEADERS.dataVersion]: String(event.version),
      [CE_HEADERS.contentType]: JSON_CONTENT_TYPE,
    };
    if (event.destination) headers[CE_HEADERS.destination] = event.destination;
    return { topic: event.topic, key: event.key, value: Buffer.from(event.payload), headers };
  }

  /** Reads the envelope and parses the data; throws `InvalidEventError` for anything malformed. */
  decode(record: IncomingRecord): EventEnvelope {
    const max = this.options.codec.maxMessageBytes;
    if (record.value.length > max) {
      throw new InvalidEventError('too_large', payloadTooLarge(record.value.length, max));
    }
    const h = record.headers;
    const id = this.requiredHeader(h, CE_HEADERS.id);
    const type = this.requiredHeader(h, CE_HEADERS.type);
    const source = this.requiredHeader(h, CE_HEADERS.source);
    const specVersion = this.requiredHeader(h, CE_HEADERS.specVersion);
    if (specVersion !== CLOUDEVENTS_SPEC_VERSION) {
      throw new InvalidEventError('malformed', unsupportedSpecVersion(specVersion));
    }
    const versionText = h[CE_HEADERS.dataVersion] ?? '1';
    const version = Number(versionText);
    if (!/^[1-9][0-9]{0,8}$/.test(versionText)) {
      throw new InvalidEventError('malformed', badDataVersion(versionText));
    }
    const timeText = h[CE_HEADERS.time];
    const time = timeText ? new Date(timeText) : new Date(record.timestamp);
    if (Number.isNaN(time.getTime())) {
      throw new InvalidEventError('malformed', badCeTime());
    }
    const contentType = h[CE_HEADERS.contentType];
    if (contentType !== undefined && !contentType.startsWith(JSON_CONTENT_TYPE)) {
      throw new InvalidEventError(
        'malformed',
        unsupportedContentType(contentType, JSON_CONTENT_TYPE),
      );
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
      data: this.parse(record.value),
    };
  }

  /**
   * Turns the envelope's data into an instance of `target` (the class a handler subscribed to):
   * upcast to its version, instantiate, validate.
   */
  async materialize<T extends object>(envelope: EventEnvelope, target: Type<T>): Promise<T> {
    return this.validate(envelope.type, target, this.upcast(envelope, target));
  }

  /** The envelope's data upcast to the version of `target`; fails for a type or version it cannot take. */
  upcast(envelope: EventEnvelope, target: Type<object>): object {
    const definition = this.types.forClass(target);
    if (!this.types.has(envelope.type) || definition.type !== envelope.type) {
      throw new InvalidEventError('unknown_type', unknownEventType(envelope.type));
    }
    if (envelope.version > definition.version) {
      throw new InvalidEventError(
        'unsupported_version',
        futureEventVersion(envelope.type, envelope.version, definition.version),
      );
    }
    const data = this.upcasters.upcast(
      envelope.type,
      envelope.data,
      envelope.version,
      definition.version,
    );
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new InvalidEventError('validation_failed', dataNotAnObject(envelope.type));
    }
    return data;
  }

  /** An instance of `target` made from upcast `data`, checked by its class-validator rules. */
  async validate<T extends object>(type: string, target: Type<T>, data: object): Promise<T> {
    const instance = plainToInstance(target, data);
    const errors = await validate(instance, { forbidUnknownValues: false });
    if (errors.length > 0) {
      const reasons = errors
        .map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ') || 'invalid'}`)
        .join('; ');
      throw new InvalidEventError('validation_failed', validationFailed(type, reasons));
    }
    return instance;
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

  private parse(value: Buffer): unknown {
    try {
      return sjson.parse(value.toString('utf8'), undefined, {
        protoAction: 'error',
        constructorAction: 'error',
      });
    } catch (error) {
      const reason =
        error instanceof Error && /forbidden prototype property/.test(error.message)
          ? 'forbidden __proto__ or constructor key'
          : 'invalid JSON';
      throw new InvalidEventError('malformed', valueNotAcceptable(reason), error);
    }
  }

  private requiredHeader(headers: Record<string, string>, name: string): string {
    const value = headers[name];
    if (value === undefined || value === '')
      throw new InvalidEventError('malformed', missingHeader(name));
    if (value.length > MAX_HEADER_LENGTH) {
      throw new InvalidEventError('malformed', headerTooLong(name, MAX_HEADER_LENGTH));
    }
    return value;
  }
}
