import { Injectable } from '@nestjs/common';
import type { IncomingRecord } from '../../transports/event-transport.interface';
import type { EventEnvelope } from '../../envelope/event-envelope.interface';
import type { HandlerDefinition } from '../../discovery/handler.registry';
import { DecodeStep } from './decode.step';
import type { HandlerCall, PreparedRecord } from './prepared-record';
import { RouteStep } from './route.step';
import { UpcastStep } from './upcast.step';
import { ValidateStep } from './validate.step';

/**
 * The steps of the consume pipeline that need no transaction, in order: decode (bytes and
 * CloudEvents headers to an envelope), route (which handlers of the group), then per handler
 * upcast (to the version of the handler's class) and validate (class-validator on an instance).
 * Decode comes before route so that a malformed record is dead-lettered, not skipped. Each step
 * is its own file beside this one; a step's failure is kept, for the outcome or the policy.
 */
@Injectable()
export class RecordPreparer {
  constructor(
    private readonly decoder: DecodeStep,
    private readonly router: RouteStep,
    private readonly upcaster: UpcastStep,
    private readonly validator: ValidateStep,
  ) {}

  async prepare(group: string, record: IncomingRecord): Promise<PreparedRecord> {
    let envelope: EventEnvelope;
    try {
      const decoded = this.decoder.decode(record);
      // Only a plugged-in payload codec answers with a promise; JSON is not held up a tick.
      envelope = decoded instanceof Promise ? await decoded : decoded;
    } catch (error) {
      return { kind: 'invalid', record, error };
    }
    const route = this.router.route(group, envelope);
    if (route.kind === 'invalid') return { kind: 'invalid', record, error: route.error };
    if (route.kind === 'skip') return { kind: 'skip', record, envelope };
    const calls: HandlerCall[] = [];
    for (const handler of route.handlers) calls.push(await this.prepareCall(envelope, handler));
    return { kind: 'handle', record, envelope, calls };
  }

  /** Upcast, then validate, for one handler; the error is kept for the handler's policy. */
  async prepareCall(envelope: EventEnvelope, handler: HandlerDefinition): Promise<HandlerCall> {
    try {
      const data = this.upcaster.upcast(envelope, handler.event.target);
      return {
        handler,
        event: await this.validator.validate(envelope.type, handler.event.target, data),
      };
    } catch (error) {
      return { handler, error };
    }
  }
}
