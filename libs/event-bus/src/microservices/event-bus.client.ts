import { Injectable } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import { EventBusError } from '../errors/event-bus.error';
import { PublishError } from '../errors/publish.error';
import { clientSendRefused, clientUnwrapRefused, unknownEmitPattern } from '../event-bus.messages';
import { EventTypeRegistry } from '../envelope/event-type.registry';
import { EventPublisher, type PublishedEvent } from '../event-bus.publisher';

/**
 * A Nest `ClientProxy` whose `emit(pattern, data)` writes an outbox row under the rules of
 * `EventPublisher.publish()`: in the ambient `@Transactional()` transaction, or in the one
 * `client.in(manager)` names; with neither, the emit fails rather than send outside a
 * transaction. The pattern must be an event type the bus knows, so a typo is an error, never a
 * silent send. `send()` (request-response) is refused.
 *
 * Await the emit inside the transaction (`lastValueFrom`): the row is written when the
 * observable runs, and an emit nobody awaits can neither fail the transaction nor join it.
 *
 * @example
 * await lastValueFrom(this.client.emit('user.registered', { userId, email }));
 * await lastValueFrom(this.client.in(manager).emit('user.registered', event));
 */
@Injectable()
export class EventBusClient extends ClientProxy {
  /** The transaction `in()` bound this client to; none means the ambient one. */
  private manager?: EntityManager;

  constructor(
    private readonly publisher: EventPublisher,
    private readonly types: EventTypeRegistry,
  ) {
    super();
  }

  /** A client whose emits write through `manager`'s transaction. */
  in(manager: EntityManager): EventBusClient {
    const bound = new EventBusClient(this.publisher, this.types);
    bound.manager = manager;
    return bound;
  }

  /** Nothing to connect: the outbox is the application's database. */
  async connect(): Promise<void> {}

  /** Nothing to close: the bus stops with the application. */
  close(): void {}

  /** It wraps no client of its own: inject `EventPublisher` for the bus's full API. */
  unwrap<T>(): T {
    throw new EventBusError(clientUnwrapRefused());
  }

  protected async dispatchEvent<T = PublishedEvent>(packet: ReadPacket): Promise<T> {
    const { pattern, data } = packet;
    const definition = typeof pattern === 'string' ? this.types.latest(pattern) : undefined;
    if (!definition) throw new PublishError(unknownEmitPattern(JSON.stringify(pattern)));
    const event =
      data instanceof definition.target
        ? (data as object)
        : Object.assign(Object.create(definition.target.prototype) as object, data);
    const [published] = await this.publisher.publish(event, { manager: this.manager });
    return published as T;
  }

  /** `send()` lands here: the bus carries events, not requests. */
  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new EventBusError(clientSendRefused()), isDisposed: true });
    return () => undefined;
  }
}
