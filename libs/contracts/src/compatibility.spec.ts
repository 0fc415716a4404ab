import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Type } from '@nestjs/common';
import { EVENT_BUS_ENTITIES, EventBusModule } from '@nestbus/event-bus';
import {
  CloudEventCodec,
  EVENT_METADATA,
  EventTypeRegistry,
  UpcastStep,
  ValidateStep,
} from '@nestbus/event-bus/operations';
import { EventBusTestingModule } from '@nestbus/event-bus/testing';
import * as contracts from './index';

/**
 * Every released version of every event keeps working: each fixture is a record exactly as it
 * went over the wire, and it must still decode, upcast to the current class and validate, giving
 * the payload the fixture says. A new version needs a fixture of its own (see the README,
 * "Releasing a new event version").
 */
interface Fixture {
  type: string;
  version: number;
  released: string;
  description: string;
  record: { key: string | null; headers: Record<string, string>; value: string };
  /** The payload a consumer of the current version gets. */
  current: Record<string, unknown>;
}

const FIXTURES = join(__dirname, '..', 'fixtures');
const fixtures: Array<[string, Fixture]> = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => [name, JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Fixture]);

const eventClasses = (Object.values(contracts) as unknown[]).filter(
  (value): value is Type<object> =>
    typeof value === 'function' && Reflect.hasMetadata(EVENT_METADATA, value),
);

describe('compatibility fixtures of libs/contracts', () => {
  let codec: CloudEventCodec;
  let upcast: UpcastStep;
  let validate: ValidateStep;
  let types: EventTypeRegistry;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: EVENT_BUS_ENTITIES,
          synchronize: true,
        }),
        EventBusTestingModule.forRoot({ serviceId: 'fixtures' }),
        EventBusModule.forFeature({
          events: eventClasses,
          upcasters: contracts.CONTRACT_UPCASTERS,
        }),
      ],
    }).compile();
    await moduleRef.init();
    close = () => moduleRef.close();
    codec = moduleRef.get(CloudEventCodec);
    upcast = moduleRef.get(UpcastStep);
    validate = moduleRef.get(ValidateStep);
    types = moduleRef.get(EventTypeRegistry);
  });

  afterAll(() => close?.());

  it('holds a fixture for every version of every contract event', () => {
    const versions = eventClasses.map((target) => {
      const { type, version } = types.forClass(target);
      return `${type} v${version}`;
    });
    const covered = fixtures.map(([, f]) => `${f.type} v${f.version}`);
    expect(versions.length).toBeGreaterThan(1);
    for (const version of versions) {
      expect({ version, fixture: covered.includes(version) }).toEqual({ version, fixture: true });
    }
  });

  it.each(fixtures)('%s decodes, upcasts and validates as the current version', async (_, f) => {
    expect(f.record.headers.ce_type).toBe(f.type);
    expect(f.record.headers.ce_dataversion).toBe(String(f.version));
    const envelope = codec.decode({
      topic: f.type,
      partition: 0,
      offset: '0',
      key: f.record.key,
      rawKey: f.record.key === null ? null : Buffer.from(f.record.key),
      value: Buffer.from(f.record.value, 'utf8'),
      headers: f.record.headers,
      rawHeaders: Object.fromEntries(
        Object.entries(f.record.headers).map(([name, value]) => [name, [Buffer.from(value)]]),
      ),
      timestamp: Date.parse(f.record.headers.ce_time),
    });
    const current = types.latest(f.type)!;
    const event = await validate.validate(
      f.type,
      current.target,
      upcast.upcast(envelope, current.target),
    );

    expect(event).toBeInstanceOf(current.target);
    expect({ ...event }).toEqual(f.current);
    expect(envelope).toMatchObject({ id: f.record.headers.ce_id, version: f.version });
  });
});
