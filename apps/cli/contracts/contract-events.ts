import { EVENT_METADATA } from '@nestbus/event-bus/operations';
import type { Type } from '@nestjs/common';
import * as contracts from '@nestbus/contracts';

/** The `@IntegrationEvent()` classes of libs/contracts: the event types the services exchange. */
export function contractEvents(): Array<Type<object>> {
  const exported: unknown[] = Object.values(contracts);
  return exported.filter(
    (value): value is Type<object> =>
      typeof value === 'function' && Reflect.hasMetadata(EVENT_METADATA, value),
  );
}
