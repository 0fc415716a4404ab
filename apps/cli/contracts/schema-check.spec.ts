import { IsInt, IsOptional, IsString } from 'class-validator';
import { IntegrationEvent } from '@nestbus/event-bus';
import { contractEvents, contractUpcasts } from './contract-events';
import { FIXTURES_DIR, readFixtureVersions, readSnapshots, SCHEMAS_DIR } from './contract-files';
import { eventVersionSchema } from './event-schema';
import { checkSchemas, type SchemaCheckInput, snapshotOf } from './schema-check';

@IntegrationEvent({ type: 'item.priced', version: 1 })
class PricedV1 {
  @IsString()
  sku!: string;

  @IsInt()
  cents!: number;
}

@IntegrationEvent({ type: 'item.priced', version: 2 })
class PricedV2RequiredAdded {
  @IsString()
  sku!: string;

  @IsInt()
  cents!: number;

  @IsString()
  currency!: string;
}

@IntegrationEvent({ type: 'item.priced', version: 2 })
class PricedV2WithDefault {
  @IsString()
  sku!: string;

  @IsInt()
  cents!: number;

  @IsString()
  currency = 'EUR';
}

@IntegrationEvent({ type: 'item.priced', version: 2 })
class PricedV2OptionalAdded {
  @IsString()
  sku!: string;

  @IsInt()
  cents!: number;

  @IsOptional()
  @IsString()
  note?: string;
}

@IntegrationEvent({ type: 'item.priced', version: 2 })
class PricedV2Changed {
  @IsString()
  sku!: string;

  @IsString()
  cents!: string;
}

@IntegrationEvent({ type: 'item.priced', version: 3 })
class PricedV3 {
  @IsString()
  sku!: string;
}

const v1 = eventVersionSchema(PricedV1);
const released = [snapshotOf(v1)];
const everyFixture = [1, 2, 3].map((version) => ({ type: 'item.priced', version }));

/** v1 released and recorded; `next` new, with its fixture; no upcaster unless given. */
function check(next: SchemaCheckInput['current'], more: Partial<SchemaCheckInput> = {}) {
  return checkSchemas({
    current: [v1, ...next],
    released: [...released, ...next.map(snapshotOf)],
    upcasts: [],
    fixtures: everyFixture,
    ...more,
  }).map((p) => `${p.type} v${p.version} ${p.field ?? '-'}: ${p.message}`);
}

describe('schema check', () => {
  it('passes on libs/contracts as committed: every released version compatible and recorded', () => {
    const problems = checkSchemas({
      current: contractEvents().map(eventVersionSchema),
      released: readSnapshots(SCHEMAS_DIR),
      upcasts: contractUpcasts(),
      fixtures: readFixtureVersions(FIXTURES_DIR),
    });
    expect(problems).toEqual([]);
    expect(contractUpcasts()).toEqual([{ type: 'user.registered', fromVersion: 1 }]);
  });

  it('fails on a required field added without an upcaster or a default, naming it', () => {
    // Recorded in the same change, as "schema record" does: the rules still apply.
    expect(check([eventVersionSchema(PricedV2RequiredAdded)])).toEqual([
      'item.priced v2 currency: required field added without an upcaster from v1 or a default',
    ]);
  });

  it('accepts that field with a default, with an upcaster, or as an optional one', () => {
    expect(check([eventVersionSchema(PricedV2WithDefault)])).toEqual([]);
    expect(
      check([eventVersionSchema(PricedV2RequiredAdded)], {
        upcasts: [{ type: 'item.priced', fromVersion: 1 }],
      }),
    ).toEqual([]);
    expect(check([eventVersionSchema(PricedV2OptionalAdded)])).toEqual([]);
  });

  it("fails on a field's type changed and on a field removed without an upcaster", () => {
    expect(check([eventVersionSchema(PricedV2Changed)])).toEqual([
      'item.priced v2 cents: type changed from integer to string without an upcaster from v1',
    ]);
    const v2 = eventVersionSchema(PricedV2OptionalAdded);
    expect(check([v2, eventVersionSchema(PricedV3)])).toEqual([
      'item.priced v3 cents: field removed without an upcaster from v2',
      'item.priced v3 note: field removed without an upcaster from v2',
    ]);
  });

  it('fails on a released version number reused for another schema', () => {
    const reused = { ...eventVersionSchema(PricedV2Changed), version: 1, className: 'PricedV1' };
    expect(check([], { current: [reused] })).toEqual([
      'item.priced v1 cents: type changed from integer to string under a released version ' +
        'number; release the change as v2 with an upcaster instead',
    ]);
  });

  it('fails on a version with no fixture, not recorded, missing between others, or used twice', () => {
    const v3 = eventVersionSchema(PricedV3);
    expect(check([v3], { released, fixtures: [{ type: 'item.priced', version: 1 }] })).toEqual([
      'item.priced v3 -: not recorded: run "npm run events -- schema record" in the change that releases it',
      'item.priced v3 -: no fixture: add libs/contracts/fixtures/item.priced.v3.json (a record as sent)',
      'item.priced v3 -: v2 is missing: versions count up from 1 without gaps',
    ]);
    const twice = eventVersionSchema(PricedV2WithDefault);
    expect(check([twice, { ...eventVersionSchema(PricedV2OptionalAdded) }])).toEqual([
      'item.priced v2 -: version number used twice, by PricedV2WithDefault and PricedV2OptionalAdded',
    ]);
  });

  it('fails on a released version whose class was deleted', () => {
    expect(check([], { current: [] })).toEqual([
      'item.priced v1 -: released, but no class declares it any more: keep the class, so its ' +
        'fixture and this check can still read it',
    ]);
  });
});
