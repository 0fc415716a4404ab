import { Injectable } from '@nestjs/common';
import type { IncomingRecord } from '../../transports/event-transport.interface';
import type { EventEnvelope } from '../../envelope/event-envelope.interface';
import { CloudEventCodec } from '../../envelope/cloud-event.codec';

/**
 * Step 1, decode: the record's bytes and CloudEvents attributes (binary or structured mode) to an
 * envelope, its data decoded by the payload codec. Anything malformed throws `InvalidEventError`;
 * an outage of a plugged-in codec (a schema registry) throws as it is, to be waited out.
 */
@Injectable()
export class DecodeStep {
  constructor(private readonly codec: CloudEventCodec) {}

  /** At once for JSON; a plugged-in payload codec may answer with a promise. */
  decode(record: IncomingRecord): EventEnvelope | Promise<EventEnvelope> {
    return this.codec.decodeRecord(record);
  }
}
