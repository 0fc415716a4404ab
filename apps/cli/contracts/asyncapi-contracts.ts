import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InMemoryBroker } from '@nestbus/event-bus';
import {
  EventTypeRegistry,
  resolveEventBusOptions,
  type EventDefinition,
} from '@nestbus/event-bus/operations';
import { contractEvents } from './contract-events';
import { eventVersionSchema, type EventVersionSchema } from './event-schema';
import { compare } from './sorted';

/** One version of one event type, with what the catalogue says about it. */
export interface CatalogueEvent {
  definition: EventDefinition;
  schema: EventVersionSchema;
  /** The class's JSDoc, when its source is at hand. */
  doc?: string;
  /** The payload field the partition key is, when the key function simply reads one. */
  keyField?: string;
}

/**
 * Every version of every event: the classes of libs/contracts (older versions too, which no
 * service registers but producers may still send) and any other class a service registered.
 * Sorted by type and version.
 */
export function catalogueEvents(registered: EventDefinition[]): CatalogueEvent[] {
  // Named as the bus names them by default (no EVENT_TOPIC_PREFIX), as `topics ensure` does.
  const registry = new EventTypeRegistry(
    resolveEventBusOptions({
      serviceId: 'asyncapi',
      transport: { type: 'in-memory', broker: new InMemoryBroker() },
    }),
  );
  const byVersion = new Map<string, EventDefinition>();
  for (const definition of [...contractEvents().map((e) => registry.register(e)), ...registered]) {
    const id = `${definition.type}@${definition.version}`;
    if (!byVersion.has(id)) byVersion.set(id, definition);
  }
  const docs = contractDocs();
  return [...byVersion.values()]
    .sort((a, b) => compare(a.type, b.type) || a.version - b.version)
    .map((definition) => ({
      definition,
      schema: eventVersionSchema(definition.target),
      doc: docs.get(definition.target.name),
      keyField: keyField(definition.key),
    }));
}

/** The version of libs/contracts: the catalogue's version. */
export function contractsVersion(): string {
  const file = require.resolve('@nestbus/contracts/package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * The JSDoc of each exported class of libs/contracts/src, by class name. Read from the source
 * (decorators keep no comments at run time); a class whose comment this does not find simply
 * has no description.
 */
function contractDocs(): Map<string, string> {
  const docs = new Map<string, string>();
  const source = join(dirname(require.resolve('@nestbus/contracts/package.json')), 'src');
  let files: string[];
  try {
    files = readdirSync(source).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
  } catch {
    return docs;
  }
  // A doc comment, then decorators (one line each), then the class.
  const pattern = /\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*(?:@[^\n]*\n\s*)*export class (\w+)/g;
  for (const file of files.sort()) {
    for (const [, comment, name] of readFileSync(join(source, file), 'utf8').matchAll(pattern)) {
      docs.set(name, prose(comment));
    }
  }
  return docs;
}

/** A comment's text: the ` * ` margins gone, lines joined, blank lines kept as paragraphs. */
function prose(comment: string): string {
  return comment
    .split('\n')
    .map((line) => line.replace(/^\s*\*? ?/, '').trim())
    .join('\n')
    .trim()
    .split(/\n{2,}/)
    .map((paragraph) => paragraph.replace(/\n/g, ' '))
    .join('\n\n');
}

/**
 * The field `key` reads, found by calling it on a probe: `(e) => e.userId` gives `userId`.
 * Anything else (a computed key, several fields) gives undefined and no field is named.
 */
function keyField(key: EventDefinition['key']): string | undefined {
  if (!key) return undefined;
  const read: string[] = [];
  const probe = new Proxy(
    {},
    {
      get: (_target, property) => {
        read.push(String(property));
        return `probe:${String(property)}`;
      },
    },
  );
  try {
    const value = key(probe);
    return read.length === 1 && value === `probe:${read[0]}` ? read[0] : undefined;
  } catch {
    return undefined;
  }
}
