import { Injectable } from '@nestjs/common';
import { EVENT_UPCASTER_METADATA } from '../event-bus.constants';

export interface UpcasterMetadata {
  type: string;
  /** The version this upcaster reads; it produces `fromVersion + 1`. */
  fromVersion: number;
}

/** Turns the payload of one event version into the next; registered through `forFeature`. */
export interface EventUpcaster<From = unknown, To = unknown> {
  upcast(payload: From): To;
}

/**
 * Declares an upcaster from `fromVersion` to `fromVersion + 1` of `type`.
 *
 * @example
 * @Upcaster({ type: 'user.registered', fromVersion: 1 })
 * export class UserRegisteredV1ToV2 implements EventUpcaster<V1, V2> {
 *   upcast(v1: V1): V2 { return { ...v1, locale: 'en' }; }
 * }
 */
export function Upcaster(metadata: UpcasterMetadata): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(EVENT_UPCASTER_METADATA, metadata, target);
    Injectable()(target);
  };
}
