import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { CE_HEADERS, EVENT_BUS_RESOLVED_OPTIONS } from './event-bus.constants';
import { PublishError } from './errors/publish.error';
import {
  badEventKey,
  headerNotAllowed,
  missingEventMetadata,
  noTransaction,
  notAnEventInstance,
} from './event-bus.messages';
import type { ResolvedEventBusOptions } from './interfaces/event-bus-options.interface';
import type { OutgoingEvent } from './interfaces/event-bus-interceptor.interface';
import { EventTypeRegistry } from './envelope/event-type.registry';
import { CloudEventCodec } from './envelope/cloud-event.codec';
import { type StorageTransaction, UnitOfWork } from './storage/unit-of-work';
import { InterceptorChain } from './interceptors/interceptor-chain';
import { OutboxStore } from './storage/outbox.store';
import type { OutboxRow } from './storage/outbox.store';
import { EventBusConfigurationError } from './errors/event-bus-configuration.error';

const MAX_KEY_LENGTH = 255;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** Per-call options of `EventPublisher.publish()`: the transaction, key, destination and extra headers. */
export interface PublishOptions {
  /** Write through this transaction instead of the ambient `@Transactional()` one. */
  manager?: EntityManager;
  /** With no transaction around, open one just for the outbox rows. */
  newTransaction?: boolean;
  /** Overrides the `@IntegrationEvent({ key })` partition key. */
  key?: string | null;
  /** Deliver to this service only; other services skip the event. */
  destination?: string;
  /** Extra record headers (names of letters, digits, `_`, `.`, `-`). */
  headers?: Record<string, string>;
  correlationId?: string;
}

/** What `publish()` returns: the event's id, type, version, topic and key, as written to the outbox. */
export interface PublishedEvent {
  id: string;
  type: string;
  topic: string;
  key: string | null;
}

/**
 * Publishes events through the transactional outbox: `publish()` writes rows in your
 * transaction and returns; the relay sends them once the transaction commits. A rolled-back
 * transaction publishes nothing.
 *
 * @example
 * @Transactional()
 * async register(dto: RegisterDto) {
 *   const user = await this.txHost.tx.save(User, dto);
 *   await this.events.publish(new UserRegistered(user.id, user.email));
 * }
 */
@Injectable()
export class EventPublisher {
  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly types: EventTypeRegistry,
    private readonly codec: CloudEventCodec,
    private readonly db: UnitOfWork,
    private readonly store: OutboxStore,
    private readonly interceptors: InterceptorChain,
  ) {}

  async publish(
    events: object | object[],
    options: PublishOptions = {},
  ): Promise<PublishedEvent[]> {
    const list = Array.isArray(events) ? events : [events];
    if (list.length === 0) return [];
    const tx = options.manager ?? this.db.ambient();
    if (tx) {
      if (!this.db.isOpen(tx)) throw new PublishError(noTransaction());
      return this.write(tx, list, options);
    }
    if (!options.newTransaction) throw new PublishError(noTransaction());
    return this.db.run((own) => this.write(own, list, options));
  }

  private async write(
    tx: StorageTransaction,
    events: object[],
    options: PublishOptions,
  ): Promise<PublishedEvent[]> {
    const now = new Date();
    const outgoing: OutgoingEvent[] = [];
    for (const event of events) outgoing.push(await this.prepare(event, options));
    const rows = outgoing.map((event) => this.toRow(event, now));
    await this.store.insert(tx, rows);
    this.db.trackCommit(tx, outgoing);
    await this.interceptors.afterPublish(outgoing);
    return outgoing.map(({ id, type, topic, key }) => ({ id, type, topic, key }));
  }

  private async prepare(event: object, options: PublishOptions): Promise<OutgoingEvent> {
    if (event === null || typeof event !== 'object') {
      throw new PublishError(notAnEventInstance());
    }
    let definition;
    try {
      definition = this.types.forClass(event.constructor as new () => object);
    } catch (error) {
      if (error instanceof EventBusConfigurationError) {
        throw new PublishError(missingEventMetadata(event.constructor.name), error);
      }
      throw error;
    }
    const key = options.key !== undefined ? options.key : (definition.key?.(event) ?? null);
    if (
      key !== null &&
      (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH)
    ) {
      throw new PublishError(badEventKey(definition.type, MAX_KEY_LENGTH));
    }
    const outgoing: OutgoingEvent = {
      id: uuidv7(),
      type: definition.type,
      version: definition.version,
      key,
      topic: definition.topic,
      destination: options.destination ?? null,
      payload: event,
      headers: this.headers(options),
    };
    await this.interceptors.beforePublish(outgoing);
    return outgoing;
  }

  private headers(options: PublishOptions): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (!HEADER_NAME.test(name) || name.startsWith('ce_') || typeof value !== 'string') {
        throw new PublishError(headerNotAllowed(name));
      }
      headers[name] = value;
    }
    if (options.correlationId) headers[CE_HEADERS.correlationId] = options.correlationId;
    return headers;
  }

  private toRow(event: OutgoingEvent, now: Date): OutboxRow {
    return {
      id: event.id,
      type: event.type,
      version: event.version,
      key: event.key,
      topic: event.topic,
      destination: event.destination,
      payload: this.codec.serialize(event.type, event.payload),
      headers: JSON.stringify(event.headers),
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      createdAt: now,
      publishedAt: null,
    };
  }
}
