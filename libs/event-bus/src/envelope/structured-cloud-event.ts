import {
  CE_HEADERS,
  CLOUDEVENTS_JSON_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
} from '../event-bus.constants';
import { InvalidEventError } from '../errors/invalid-event.error';
import {
  attributeNotString,
  attributeTooLong,
  badAttributeName,
  badExtensionValue,
  dataBase64Invalid,
  structuredDataMissing,
  structuredDataTwice,
  structuredEventNotAnObject,
  structuredEventTooLarge,
  tooManyAttributes,
} from '../event-bus.messages';
import { parseJson } from './json-payload.codec';

/** Longest attribute value (and binary-mode header) read, in characters. */
export const MAX_ATTRIBUTE_LENGTH = 1024;
/** Most members of one structured event, `data` included. */
export const MAX_STRUCTURED_MEMBERS = 64;
/** Room around the data for the attributes, with JSON escapes: 64 members of 1 KiB, and then some. */
const ATTRIBUTES_ALLOWANCE = 128 * 1024;
/** CloudEvents attribute names are lower-case letters and digits; 20 is a SHOULD, 64 our bound. */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The `content-type` of a record the bus sends in structured mode. */
export const STRUCTURED_CONTENT_TYPE = `${CLOUDEVENTS_JSON_CONTENT_TYPE}; charset=utf-8`;

/**
 * Attributes of the spec and of the bus that are strings; an extension of another name may also
 * be an integer or a boolean (the JSON event format's type mapping), read as its text.
 */
const STRING_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'datacontenttype',
  'dataschema',
  'subject',
  'dataversion',
  'destination',
  'correlationid',
  'traceparent',
  'tracestate',
]);

/** Attributes whose binary-mode header is not `ce_<name>`. */
const HEADER_OF: Readonly<Record<string, string>> = {
  datacontenttype: CE_HEADERS.contentType,
  traceparent: CE_HEADERS.traceparent,
  tracestate: CE_HEADERS.tracestate,
};
const ATTRIBUTE_OF: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(HEADER_OF).map(([attribute, header]) => [header, attribute]),
);

/** Where a structured event keeps its data. */
export type StructuredData =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'bytes'; readonly value: Buffer };

/** A structured event read: its attributes as binary mode would carry them, and its data. */
export interface StructuredEvent {
  /**
   * Every attribute under its binary-mode header name (`ce_id`, `traceparent`, `content-type`
   * for `datacontenttype`), so one reader takes both modes and handlers see one shape.
   */
  readonly attributes: Record<string, string>;
  /** `datacontenttype`, or the `application/json` the JSON event format implies without it. */
  readonly dataContentType: string;
  readonly data: StructuredData;
}

/**
 * The largest structured value read: the data may be `codec.maxMessageBytes` (as in binary
 * mode), in base64 (4/3 of it), with the attributes around it.
 */
export function structuredLimit(maxMessageBytes: number): number {
  return Math.ceil(maxMessageBytes / 3) * 4 + ATTRIBUTES_ALLOWANCE;
}

/**
 * Reads a record value in the JSON event format (CloudEvents Kafka binding, structured content
 * mode). Checks sizes before parsing, parses with prototype-poisoning protection, and bounds the
 * number of members and each attribute's name and length. Which attributes are required, and
 * their values, is left to the reader both modes share.
 */
export function readStructuredEvent(value: Buffer, maxMessageBytes: number): StructuredEvent {
  const limit = structuredLimit(maxMessageBytes);
  if (value.length > limit) {
    throw new InvalidEventError(
      'too_large',
      structuredEventTooLarge(value.length, limit, maxMessageBytes),
    );
  }
  const event = parseJson(value);
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidEventError('malformed', structuredEventNotAnObject());
  }
  const members = Object.keys(event);
  if (members.length > MAX_STRUCTURED_MEMBERS) {
    throw new InvalidEventError(
      'malformed',
      tooManyAttributes(members.length, MAX_STRUCTURED_MEMBERS),
    );
  }
  const fields = event as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const name of members) {
    if (name === 'data' || name === 'data_base64') continue;
    const text = attributeText(name, fields[name]);
    if (text !== undefined) attributes[HEADER_OF[name] ?? `ce_${name}`] = text;
  }
  const dataContentType = attributes[CE_HEADERS.contentType] ?? JSON_CONTENT_TYPE;
  // The implied content type is made explicit, as the JSON event format asks of a re-encoding.
  attributes[CE_HEADERS.contentType] = dataContentType;
  return { attributes, dataContentType, data: dataOf(fields) };
}

/**
 * The value of a record in the JSON event format. `data` is JSON text spliced in as it is (the
 * outbox's own, never parsed again), or bytes sent as `data_base64`.
 */
export function writeStructuredEvent(
  attributes: Record<string, string>,
  data: { readonly json: string } | { readonly bytes: Buffer },
): Buffer {
  if ('bytes' in data) {
    return Buffer.from(
      JSON.stringify({ ...attributes, data_base64: data.bytes.toString('base64') }),
    );
  }
  const head = JSON.stringify(attributes);
  return Buffer.from(`${head.slice(0, -1)},"data":${data.json}}`);
}

/**
 * The attribute a binary-mode header carries in structured mode (`ce_tenant` → `tenant`), or
 * undefined for a header that is not a CloudEvents attribute.
 */
export function attributeOfHeader(header: string): string | undefined {
  const name = ATTRIBUTE_OF[header] ?? (header.startsWith('ce_') ? header.slice(3) : undefined);
  return name !== undefined && ATTRIBUTE_NAME.test(name) ? name : undefined;
}

/** An attribute's value as text (undefined: unset), or why it is not acceptable. */
function attributeText(name: string, value: unknown): string | undefined {
  if (!ATTRIBUTE_NAME.test(name)) throw new InvalidEventError('malformed', badAttributeName(name));
  // The JSON event format: a null attribute is an unset one.
  if (value === null) return undefined;
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else if (STRING_ATTRIBUTES.has(name)) {
    throw new InvalidEventError('malformed', attributeNotString(name, kindOf(value)));
  } else if (typeof value === 'boolean' || Number.isSafeInteger(value)) {
    text = String(value);
  } else {
    throw new InvalidEventError('malformed', badExtensionValue(name, kindOf(value)));
  }
  if (text.length > MAX_ATTRIBUTE_LENGTH) {
    throw new InvalidEventError('malformed', attributeTooLong(name, MAX_ATTRIBUTE_LENGTH));
  }
  return text;
}

function dataOf(fields: Record<string, unknown>): StructuredData {
  const hasData = Object.hasOwn(fields, 'data');
  const hasBase64 = Object.hasOwn(fields, 'data_base64');
  if (hasData && hasBase64) throw new InvalidEventError('malformed', structuredDataTwice());
  if (hasData) return { kind: 'json', value: fields.data };
  if (!hasBase64) throw new InvalidEventError('malformed', structuredDataMissing());
  const text = fields.data_base64;
  if (typeof text !== 'string') {
    throw new InvalidEventError('malformed', dataBase64Invalid(`${kindOf(text)}, not a string`));
  }
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new InvalidEventError('malformed', dataBase64Invalid('not base64'));
  }
  return { kind: 'bytes', value: Buffer.from(text, 'base64') };
}

/** What a JSON value is, for messages (never the value itself: it may be personal data). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}
