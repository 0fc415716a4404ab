import sjson from 'secure-json-parse';
import { JSON_CONTENT_TYPE } from '../event-bus.constants';
import { InvalidEventError } from '../errors/invalid-event.error';
import { valueNotAcceptable } from '../event-bus.messages';
import type { PayloadCodec } from '../interfaces/payload-codec.interface';

/**
 * The default payload codec: JSON, parsed with prototype-poisoning protection. The bus takes a
 * faster path for it (the outbox's JSON goes out as it is), so this class is what the port looks
 * like for JSON, and a base for a codec that checks JSON against a schema registry.
 *
 * @publicApi
 */
export class JsonPayloadCodec implements PayloadCodec {
  readonly contentType = JSON_CONTENT_TYPE;

  encode(data: object): Buffer {
    return Buffer.from(JSON.stringify(data));
  }

  decode(bytes: Buffer): object {
    return parseJson(bytes) as object;
  }
}

/** Untrusted JSON text parsed, refusing `__proto__` and `constructor.prototype` keys. */
export function parseJson(value: Buffer | string): unknown {
  try {
    return sjson.parse(typeof value === 'string' ? value : value.toString('utf8'), undefined, {
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
