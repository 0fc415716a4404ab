import { Injectable, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  EVENT_INTERCEPTOR_METADATA,
  EVENT_METADATA,
  EVENT_SUBSCRIBE_METADATA,
  EVENT_UPCASTER_METADATA,
} from '../event-bus.constants';
import type { EventMetadata } from '../decorators/integration-event.decorator';
import type { EventSubscribeMetadata } from '../decorators/event-subscribe.decorator';
import type { UpcasterMetadata } from '../decorators/upcaster.decorator';
import type { EventInterceptorOptions } from '../decorators/event-interceptor.decorator';

/** Typed reads of the event-bus decorator metadata. */
@Injectable()
export class EventBusMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getEventMetadata(target: Type<object>): EventMetadata | undefined {
    return this.reflector.get<EventMetadata | undefined>(EVENT_METADATA, target);
  }

  getSubscriptions(method: (...args: never[]) => unknown): EventSubscribeMetadata[] {
    return (
      this.reflector.get<EventSubscribeMetadata[] | undefined>(EVENT_SUBSCRIBE_METADATA, method) ??
      []
    );
  }

  getUpcasterMetadata(target: Type<object>): UpcasterMetadata | undefined {
    return this.reflector.get<UpcasterMetadata | undefined>(EVENT_UPCASTER_METADATA, target);
  }

  getInterceptorMetadata(target: Type<object>): Required<EventInterceptorOptions> | undefined {
    return this.reflector.get<Required<EventInterceptorOptions> | undefined>(
      EVENT_INTERCEPTOR_METADATA,
      target,
    );
  }
}
