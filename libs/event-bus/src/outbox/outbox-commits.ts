import { Injectable } from '@nestjs/common';
import type { OutgoingEvent } from '../interfaces/event-bus-interceptor.interface';
import { InterceptorChain } from '../interceptors/interceptor-chain';
import { UnitOfWork } from '../storage/unit-of-work';

/**
 * Tells the bus right after a transaction that wrote outbox rows commits, never before: the
 * interceptors' `onCommitted` learns which events now exist, then the listeners run (the relay
 * wakes on one; earlier it would find nothing or, on a shared SQLite connection, uncommitted
 * rows). The storage adapter tells it (`UnitOfWork.trackCommit` and `onCommit`).
 */
@Injectable()
export class OutboxCommits {
  private readonly listeners: Array<(events: readonly OutgoingEvent[]) => void> = [];

  constructor(
    private readonly interceptors: InterceptorChain,
    db: UnitOfWork,
  ) {
    db.onCommit((events) => this.committed(events));
  }

  /** Calls `listener` after each commit of a transaction that published. */
  onCommit(listener: (events: readonly OutgoingEvent[]) => void): void {
    this.listeners.push(listener);
  }

  /** The outermost transaction that wrote `events` has committed. */
  private committed(events: readonly OutgoingEvent[]): void {
    this.interceptors.committed(events);
    for (const listener of this.listeners) listener(events);
  }
}
