import { closest } from './edit-distance';

/**
 * A key whose value is not walked into: a scalar, an array, a function, or an object the bus
 * passes on as it is (a transport instance, TLS options for kafkajs, a prom-client Registry).
 */
export const LEAF = 'leaf';

/** What one key of an options object holds. */
export type OptionKeyNode = typeof LEAF | OptionSection | OptionVariants;

/** A plain options object: its keys are checked and its sections walked. */
export interface OptionSection {
  readonly kind: 'section';
  readonly keys: Readonly<Record<string, OptionKeyNode>>;
}

/** An options object whose keys depend on one of its values (`transport.type`). */
export interface OptionVariants {
  readonly kind: 'variants';
  readonly discriminator: string;
  readonly variants: Readonly<Record<string, OptionSection>>;
}

/**
 * The keys of an options object of type `T`. Every key of `T` must be listed, so a new option
 * does not compile until it is registered here too.
 */
export function section<T extends object>(keys: {
  readonly [K in keyof T]-?: OptionKeyNode;
}): OptionSection {
  return { kind: 'section', keys: keys as Record<string, OptionKeyNode> };
}

/** The sections of a union of options objects, told apart by their `discriminator` key. */
export function variants<T extends object, D extends keyof T & string>(
  discriminator: D,
  sections: { readonly [V in Extract<T[D], string>]: OptionSection },
): OptionVariants {
  return {
    kind: 'variants',
    discriminator,
    variants: sections as Record<string, OptionSection>,
  };
}

/** A key the options object has but its section does not know. */
export interface UnknownOptionKey {
  /** Full path, e.g. `consumer.retry.maxRetires`. */
  readonly path: string;
  /** Path of the section holding it; '' for the top level. */
  readonly section: string;
  /** Full path of the option most likely meant, when one is close. */
  readonly suggestion?: string;
  /** Values of the discriminator under which this key would be valid (`['kafka']`). */
  readonly validFor?: { readonly discriminator: string; readonly values: string[] };
  /** The keys the section does take. */
  readonly known: string[];
}

/** What `checkOptionKeys` found. */
export interface OptionKeyReport {
  readonly unknown: UnknownOptionKey[];
  /** Sections given something other than an object (`outbox: 5`), which would be ignored. */
  readonly notObjects: Array<{ readonly path: string; readonly value: unknown }>;
}

/**
 * Walks `options` along `root` and reports every key no section knows, with the option most
 * likely meant. Values of `LEAF` keys and of variants it cannot tell apart are left alone.
 */
export function checkOptionKeys(options: object, root: OptionSection): OptionKeyReport {
  const report: OptionKeyReport = { unknown: [], notObjects: [] };
  walk(options as Record<string, unknown>, root, '', report);
  return report;
}

/** The variants not chosen, to tell a key that belongs to one of them from a typo. */
interface OtherVariants {
  readonly discriminator: string;
  readonly sections: Array<[value: string, section: OptionSection]>;
}

function walk(
  value: Record<string, unknown>,
  node: OptionSection,
  prefix: string,
  report: OptionKeyReport,
  others?: OtherVariants,
): void {
  for (const key of Object.keys(value)) {
    const path = prefix + key;
    if (!Object.hasOwn(node.keys, key)) {
      report.unknown.push(unknownKey(key, path, prefix, node, others));
      continue;
    }
    const child = node.keys[key];
    const given = value[key];
    // null and undefined mean "not given" (a YAML `outbox:` with nothing under it is null).
    if (child === LEAF || given === undefined || given === null) continue;
    if (!isObject(given)) {
      // A variant object that is not one is the discriminating check's to report.
      if (child.kind === 'section') report.notObjects.push({ path, value: given });
      continue;
    }
    if (child.kind === 'section') {
      walk(given, child, `${path}.`, report);
      continue;
    }
    const chosen = given[child.discriminator];
    const variant =
      typeof chosen === 'string' && Object.hasOwn(child.variants, chosen)
        ? child.variants[chosen]
        : undefined;
    // An unknown discriminator value is reported by the options check itself.
    if (!variant) continue;
    walk(given, variant, `${path}.`, report, {
      discriminator: child.discriminator,
      sections: Object.entries(child.variants).filter(([name]) => name !== chosen),
    });
  }
}

function unknownKey(
  key: string,
  path: string,
  prefix: string,
  node: OptionSection,
  others: OtherVariants | undefined,
): UnknownOptionKey {
  const section = prefix.slice(0, -1);
  const known = Object.keys(node.keys);
  const base = { path, section, known };
  // A key of another variant is no typo (`brokers` with `type: 'in-memory'`), however close.
  if (others) {
    const values = others.sections.filter(([, s]) => Object.hasOwn(s.keys, key)).map(([v]) => v);
    if (values.length > 0) {
      return { ...base, validFor: { discriminator: others.discriminator, values } };
    }
  }
  const sibling = closest(key, known);
  if (sibling !== undefined) return { ...base, suggestion: prefix + sibling };
  // Put at the wrong depth (`consumer.maxRetries` for `consumer.retry.maxRetries`).
  const deeper = descendants(node, prefix);
  const match = closest(key, deeper.keys());
  const suggestion = match === undefined ? undefined : deeper.get(match);
  return suggestion ? { ...base, suggestion } : base;
}

/**
 * Keys below the direct children of `node`, mapped to their full paths; null for a key found at
 * several paths (`enabled`), where a guess would more likely mislead than help.
 */
function descendants(node: OptionSection, prefix: string): Map<string, string | null> {
  const found = new Map<string, string | null>();
  const visit = (section: OptionSection, at: string, depth: number): void => {
    for (const [key, child] of Object.entries(section.keys)) {
      const path = at + key;
      if (depth > 0) found.set(key, found.has(key) && found.get(key) !== path ? null : path);
      if (child === LEAF) continue;
      const sections = child.kind === 'section' ? [child] : Object.values(child.variants);
      for (const s of sections) visit(s, `${at}${key}.`, depth + 1);
    }
  };
  visit(node, prefix, 0);
  return found;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
