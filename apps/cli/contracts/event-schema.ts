import type { Type } from '@nestjs/common';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import { EVENT_METADATA } from '@nestbus/event-bus/operations';

/** A JSON Schema (draft 2020-12 subset) as class-validator-jsonschema writes it. */
export interface JsonSchema {
  type?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  $ref?: string;
  [keyword: string]: unknown;
}

/** One version of one event: its class and the schema of its payload. */
export interface EventVersionSchema {
  type: string;
  version: number;
  /** The class's name, for messages only: the wire knows the type and version. */
  className: string;
  schema: JsonSchema;
  /** Fields the class gives a value itself (a property initialiser): absent on the wire is fine. */
  defaults: string[];
}

/**
 * The payload schema of an `@IntegrationEvent()` class, derived from its class-validator
 * decorators: what the consumer's validation accepts, so it is also what a producer must send.
 * A property with `@IsOptional()` is not required.
 */
export function eventVersionSchema(target: Type<object>): EventVersionSchema {
  const metadata = Reflect.getMetadata(EVENT_METADATA, target) as
    { type: string; version: number } | undefined;
  if (!metadata) throw new Error(`${target.name} is not an @IntegrationEvent() class.`);
  const schema = targetConstructorToSchema(target) as JsonSchema;
  // Keyed order: the same class always writes the same document.
  schema.required = [...(schema.required ?? [])].sort();
  const instance = new target() as Record<string, unknown>;
  const defaults = Object.keys(schema.properties ?? {}).filter((f) => instance[f] !== undefined);
  return {
    type: metadata.type,
    version: metadata.version,
    className: target.name,
    schema,
    defaults,
  };
}
