import { EVENT_METADATA } from '@app/event-bus';
import type { Type } from '@nestjs/common';
import * as contracts from '@app/contracts';

/** The `@Event()` classes of libs/contracts: the event types the services exchange. */
export function contractEvents(): Array<Type<object>> {
  const exported: unknown[] = Object.values(contracts);
  return exported.filter(
    (value): value is Type<object> =>
      typeof value === 'function' && Reflect.hasMetadata(EVENT_METADATA, value),
  );
}
