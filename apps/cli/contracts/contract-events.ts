import { EVENT_METADATA, EVENT_UPCASTER_METADATA } from '@nestbus/event-bus/operations';
import type { Type } from '@nestjs/common';
import * as contracts from '@nestbus/contracts';

/** The `@IntegrationEvent()` classes of libs/contracts: the event types the services exchange. */
export function contractEvents(): Array<Type<object>> {
  return exported().filter((value) => Reflect.hasMetadata(EVENT_METADATA, value));
}

/** The steps the `@Upcaster()` classes of libs/contracts take: `type` from `fromVersion` up one. */
export function contractUpcasts(): Array<{ type: string; fromVersion: number }> {
  return exported()
    .map((value) => Reflect.getMetadata(EVENT_UPCASTER_METADATA, value) as unknown)
    .filter((metadata): metadata is { type: string; fromVersion: number } => !!metadata);
}

function exported(): Array<Type<object>> {
  return (Object.values(contracts) as unknown[]).filter(
    (value): value is Type<object> => typeof value === 'function',
  );
}
