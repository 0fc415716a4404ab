import 'reflect-metadata';
import { IsInt, IsString, Min } from 'class-validator';
import { IntegrationEvent } from '../../decorators/integration-event.decorator';
import { HandlerRegistry, type HandlerDefinition } from '../../discovery/handler.registry';
import { CloudEventCodec } from '../../envelope/cloud-event.codec';
import type { EncodableEvent } from '../../envelope/event-envelope.interface';
import { EventTypeRegistry } from '../../envelope/event-type.registry';
import { UpcasterRegistry } from '../../envelope/upcaster.registry';
import { InvalidEventError } from '../../errors/invalid-event.error';
import { FailurePolicies } from '../../failure/failure-policies';
import { resolveEventBusOptions } from '../../options/resolve-event-bus-options';
import type { IncomingRecord } from '../../transports/event-transport.interface';
import { asReceived } from '../../transports/record-bytes';
import { DecodeStep } from './decode.step';
import { isRoutine, type PreparedRecord } from './prepared-record';
import { RecordPreparer } from './record-preparer';
import { RouteStep } from './route.step';
import { UpcastStep } from './upcast.step';
import { ValidateStep } from './validate.step';

@IntegrationEvent({ type: 'prep.item-added', version: 2 })
class ItemAdded {
  @IsString()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

@IntegrationEvent({ type: 'prep.item-removed' })
class ItemRemoved {
  @IsString()
  sku!: string;
}

const GROUP = 'shop';

function setup(): { preparer: RecordPreparer; codec: CloudEventCodec } {
  const options = resolveEventBusOptions({ serviceId: 'shop' });
  const types = new EventTypeRegistry(options);
  types.register(ItemAdded);
  types.register(ItemRemoved);
  const upcasters = new UpcasterRegistry();
  upcasters.register(
    { type: 'prep.item-added', fromVersion: 1 },
    { upcast: (v1) => ({ ...(v1 as object), quantity: 1 }) },
  );
  const handlers = new HandlerRegistry();
  const handler = (id: string, group = GROUP): HandlerDefinition => ({
    id,
    group,
    event: types.forClass(ItemAdded),
    retry: options.consumer.retry,
    onFailure: FailurePolicies.default(),
    invoke: () => Promise.resolve(),
    call: () => undefined,
  });
  handlers.add(handler('Stock.onAdded'));
  handlers.add(handler('Audit.onAdded'));
  handlers.add(handler('Billing.onAdded', 'billing'));
  const codec = new CloudEventCodec(options);
  const preparer = new RecordPreparer(
    new DecodeStep(codec),
    new RouteStep(options, types, handlers),
    new UpcastStep(types, upcasters),
    new ValidateStep(),
  );
  return { preparer, codec };
}

function record(
  codec: CloudEventCodec,
  overrides: Partial<EncodableEvent> = {},
  value?: string,
): IncomingRecord {
  const outgoing = codec.encode({
    id: 'event-1',
    type: 'prep.item-added',
    version: 2,
    key: 'sku-1',
    topic: 'prep.item-added',
    destination: null,
    payload: JSON.stringify({ sku: 'sku-1', quantity: 3 }),
    headers: {},
    createdAt: new Date('2026-01-02T03:04:05.000Z'),
    ...overrides,
  });
  if (value !== undefined) outgoing.value = Buffer.from(value);
  return {
    topic: outgoing.topic,
    partition: 0,
    offset: '0',
    ...asReceived(outgoing),
    timestamp: 0,
  };
}

const reasonOf = (error: unknown): string =>
  error instanceof InvalidEventError ? error.reason : `not an InvalidEventError: ${String(error)}`;

describe('RecordPreparer (decode → route → upcast → validate)', () => {
  it("makes each handler of the group its event, upcast to its class's version", async () => {
    const { preparer, codec } = setup();
    const v1 = record(codec, { version: 1, payload: JSON.stringify({ sku: 'sku-1' }) });

    const prepared = await preparer.prepare(GROUP, v1);

    expect(prepared.kind).toBe('handle');
    const calls = prepared.kind === 'handle' ? prepared.calls : [];
    expect(calls.map((call) => call.handler.id)).toEqual(['Stock.onAdded', 'Audit.onAdded']);
    for (const call of calls) {
      expect(call.event).toBeInstanceOf(ItemAdded);
      expect(call.event).toEqual(Object.assign(new ItemAdded(), { sku: 'sku-1', quantity: 1 }));
    }
    expect(isRoutine(prepared)).toBe(true);
  });

  it('decodes before it routes: bad bytes of a type the group does not handle are invalid, not skipped', async () => {
    const { preparer, codec } = setup();
    const truncated = record(codec, { type: 'prep.item-removed' }, '{"sku":"sku-');

    const prepared = await preparer.prepare(GROUP, truncated);

    expect(prepared.kind).toBe('invalid');
    expect(reasonOf((prepared as Extract<PreparedRecord, { kind: 'invalid' }>).error)).toBe(
      'malformed',
    );
    expect(isRoutine(prepared)).toBe(false);
  });

  it('skips an event addressed to another service, and a known type the group has no handler for', async () => {
    const { preparer, codec } = setup();

    const elsewhere = await preparer.prepare(GROUP, record(codec, { destination: 'billing' }));
    const unhandled = await preparer.prepare(
      GROUP,
      record(codec, { type: 'prep.item-removed', version: 1 }),
    );

    expect(elsewhere.kind).toBe('skip');
    expect(unhandled.kind).toBe('skip');
    expect(isRoutine(elsewhere) && isRoutine(unhandled)).toBe(true);
  });

  it('calls a type nobody registered invalid (unknown_type)', async () => {
    const { preparer, codec } = setup();

    const prepared = await preparer.prepare(GROUP, record(codec, { type: 'prep.item-stolen' }));

    expect(prepared.kind).toBe('invalid');
    expect(reasonOf((prepared as Extract<PreparedRecord, { kind: 'invalid' }>).error)).toBe(
      'unknown_type',
    );
  });

  it("keeps a failed upcast or validation per handler, for the handler's failure policy", async () => {
    const { preparer, codec } = setup();
    const zero = record(codec, { payload: JSON.stringify({ sku: 'sku-1', quantity: 0 }) });
    const future = record(codec, { version: 3 });

    const invalid = await preparer.prepare(GROUP, zero);
    const newer = await preparer.prepare(GROUP, future);

    for (const [prepared, reason] of [
      [invalid, 'validation_failed'],
      [newer, 'unsupported_version'],
    ] as const) {
      expect(prepared.kind).toBe('handle');
      const calls = prepared.kind === 'handle' ? prepared.calls : [];
      expect(calls).toHaveLength(2);
      for (const call of calls) {
        expect(call.event).toBeUndefined();
        expect(reasonOf('error' in call ? call.error : undefined)).toBe(reason);
      }
      expect(isRoutine(prepared)).toBe(false);
    }
  });
});
