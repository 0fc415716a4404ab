import { Injectable } from '@nestjs/common';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { InvalidEventError } from '../errors/invalid-event.error';
import {
  duplicateUpcaster,
  invalidOption,
  missingUpcaster,
  upcastFailed,
} from '../event-bus.messages';
import type { EventUpcaster, UpcasterMetadata } from '../decorators/upcaster.decorator';

/** Chains of upcasters per event type: version n → n + 1 → … → the version a handler wants. */
@Injectable()
export class UpcasterRegistry {
  private readonly steps = new Map<string, EventUpcaster>();

  register(metadata: UpcasterMetadata, upcaster: EventUpcaster): void {
    if (!Number.isInteger(metadata.fromVersion) || metadata.fromVersion < 1) {
      throw new EventBusConfigurationError(
        invalidOption(
          `@Upcaster(${metadata.type}).fromVersion`,
          'an integer of at least 1',
          metadata.fromVersion,
        ),
      );
    }
    const id = this.id(metadata.type, metadata.fromVersion);
    const existing = this.steps.get(id);
    if (existing && existing !== upcaster) {
      throw new EventBusConfigurationError(duplicateUpcaster(metadata.type, metadata.fromVersion));
    }
    this.steps.set(id, upcaster);
  }

  /** Upcasts `payload` of `type` from version `from` to `to` (from ≤ to). */
  upcast(type: string, payload: unknown, from: number, to: number): unknown {
    let current = payload;
    for (let version = from; version < to; version++) {
      const step = this.steps.get(this.id(type, version));
      if (!step) {
        throw new InvalidEventError('unsupported_version', missingUpcaster(type, version, to));
      }
      try {
        current = step.upcast(current);
      } catch (error) {
        throw new InvalidEventError(
          'unsupported_version',
          upcastFailed(type, version, error instanceof Error ? error.message : String(error)),
          error,
        );
      }
    }
    return current;
  }

  private id(type: string, fromVersion: number): string {
    return `${type}@${fromVersion}`;
  }
}
