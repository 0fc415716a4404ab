import type { EventVersionSchema, JsonSchema } from './event-schema';
import { sortedDeep } from './sorted';

/** A released version's schema, as `schema record` wrote it to libs/contracts/schemas. */
export interface SchemaSnapshot {
  type: string;
  version: number;
  schema: JsonSchema;
}

/** What `schema check` found wrong with one version of one event (one field, when it says). */
export interface SchemaProblem {
  type: string;
  version: number;
  field?: string;
  message: string;
}

export interface SchemaCheckInput {
  /** The `@IntegrationEvent()` classes of the code, one per version. */
  current: EventVersionSchema[];
  /** The schemas recorded when each version was released. */
  released: SchemaSnapshot[];
  /** The upcasters of the code: `type` from `fromVersion` to the next. */
  upcasts: Array<{ type: string; fromVersion: number }>;
  /** The versions libs/contracts/fixtures holds a record of. */
  fixtures: Array<{ type: string; version: number }>;
}

const key = (type: string, version: number) => `${type} v${version}`;

/**
 * The rules that keep every released version working:
 * - a released version never changes (its number is not reused for another schema), and keeps
 *   its class;
 * - versions of a type count up from 1 without gaps, one class each;
 * - a new version reads every older record through an upcaster from the version before it,
 *   unless it only adds optional fields (or required ones the class gives a default): a required
 *   field added, a field made required, a field's type changed or a field removed needs one;
 * - every version has a fixture (libs/contracts/fixtures) and, once released, a recorded schema.
 * Problems come sorted by type, version and field.
 */
export function checkSchemas(input: SchemaCheckInput): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const current = new Map<string, EventVersionSchema>();
  for (const event of input.current) {
    const id = key(event.type, event.version);
    const other = current.get(id);
    if (other) {
      problems.push({
        type: event.type,
        version: event.version,
        message: `version number used twice, by ${other.className} and ${event.className}`,
      });
    }
    current.set(id, event);
  }
  const released = new Map(input.released.map((s) => [key(s.type, s.version), s]));
  const upcasts = new Set(input.upcasts.map((u) => key(u.type, u.fromVersion)));
  const fixtures = new Set(input.fixtures.map((f) => key(f.type, f.version)));

  for (const snapshot of input.released) {
    if (!current.has(key(snapshot.type, snapshot.version))) {
      problems.push({
        type: snapshot.type,
        version: snapshot.version,
        message:
          'released, but no class declares it any more: keep the class, so its fixture and ' +
          'this check can still read it',
      });
    }
  }

  for (const event of current.values()) {
    const { type, version } = event;
    const add = (message: string, field?: string) =>
      problems.push({ type, version, ...(field === undefined ? {} : { field }), message });
    const recorded = released.get(key(type, version));
    if (recorded) {
      for (const change of changes(recorded.schema, event.schema)) {
        add(
          `${change.what} under a released version number; release the change as ` +
            `v${nextVersion(type, current, released)} with an upcaster instead`,
          change.field,
        );
      }
    } else {
      add('not recorded: run "npm run events -- schema record" in the change that releases it');
    }
    if (!fixtures.has(key(type, version))) {
      add(`no fixture: add libs/contracts/fixtures/${type}.v${version}.json (a record as sent)`);
    }
    // Recorded or not, a version must read what the one before it wrote.
    if (version === 1) continue;

    const previous =
      released.get(key(type, version - 1))?.schema ?? current.get(key(type, version - 1))?.schema;
    if (!previous) {
      add(`v${version - 1} is missing: versions count up from 1 without gaps`);
      continue;
    }
    if (upcasts.has(key(type, version - 1))) continue;
    const upcaster = `without an upcaster from v${version - 1}`;
    for (const change of changes(previous, event.schema)) {
      // Old records lack the field, which the class neither requires nor fills in: fine.
      if (change.kind === 'optional-added') continue;
      if (change.kind === 'required-added' && event.defaults.includes(change.field)) continue;
      // Tighter rules could refuse an old record, but no upcaster fixes that: the fixtures do.
      if (change.kind === 'rules-changed') continue;
      add(
        `${change.what} ${upcaster}${change.kind === 'required-added' ? ' or a default' : ''}`,
        change.field,
      );
    }
  }
  return problems.sort(
    (a, b) =>
      a.type.localeCompare(b.type) ||
      a.version - b.version ||
      (a.field ?? '').localeCompare(b.field ?? ''),
  );
}

interface Change {
  field: string;
  kind:
    | 'optional-added'
    | 'required-added'
    | 'made-required'
    | 'removed'
    | 'type-changed'
    | 'rules-changed';
  what: string;
}

/** How `after` differs from `before`, field by field. */
function changes(before: JsonSchema, after: JsonSchema): Change[] {
  const was = before.properties ?? {};
  const is = after.properties ?? {};
  const wasRequired = new Set(before.required ?? []);
  const isRequired = new Set(after.required ?? []);
  const found: Change[] = [];
  for (const field of Object.keys(is)) {
    if (!(field in was)) {
      found.push(
        isRequired.has(field)
          ? { field, kind: 'required-added', what: 'required field added' }
          : { field, kind: 'optional-added', what: 'optional field added' },
      );
      continue;
    }
    const from = shape(was[field]);
    const to = shape(is[field]);
    if (from !== to) {
      found.push({ field, kind: 'type-changed', what: `type changed from ${from} to ${to}` });
    } else if (!wasRequired.has(field) && isRequired.has(field)) {
      found.push({ field, kind: 'made-required', what: 'optional field made required' });
    } else if (
      canonical(was[field]) !== canonical(is[field]) ||
      wasRequired.has(field) !== isRequired.has(field)
    ) {
      found.push({ field, kind: 'rules-changed', what: 'validation rules changed' });
    }
  }
  for (const field of Object.keys(was)) {
    if (!(field in is)) found.push({ field, kind: 'removed', what: 'field removed' });
  }
  return found;
}

/** A field's type for comparison: `string(uuid)`, `array<number>`, `#/definitions/Address`, unions. */
function shape(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  if (schema.$ref) return schema.$ref;
  const union = schema.oneOf ?? schema.anyOf;
  if (union) return [...new Set(union.map(shape))].sort().join(' | ');
  const base = schema.type ?? 'any';
  if (base === 'array') return `array<${shape(schema.items)}>`;
  return schema.format ? `${base}(${schema.format})` : base;
}

/** The schema as text with sorted keys, so two equal schemas compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(sortedDeep(value));
}

function nextVersion(
  type: string,
  current: Map<string, EventVersionSchema>,
  released: Map<string, SchemaSnapshot>,
): number {
  const versions = [...current.values(), ...released.values()]
    .filter((e) => e.type === type)
    .map((e) => e.version);
  return Math.max(...versions) + 1;
}

/** The schema of a version as `schema record` writes it. */
export function snapshotOf(event: EventVersionSchema): SchemaSnapshot {
  return { type: event.type, version: event.version, schema: event.schema };
}

/** Stable text of a snapshot file: sorted keys, two-space indent, a final newline. */
export function snapshotText(snapshot: SchemaSnapshot): string {
  return `${JSON.stringify(sortedDeep(snapshot), null, 2)}\n`;
}
