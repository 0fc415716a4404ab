import { Injectable } from '@nestjs/common';
import type { StorageTransaction } from '../storage/unit-of-work';
import {
  type FailedRowsPage,
  type OutboxStatus,
  type OutboxStatusReport,
  OutboxStore,
} from '../storage/outbox.store';

export type { FailedRowsPage, OutboxStatusReport };

/** Read-only questions operators ask of the outbox (the CLI, dashboards). */
@Injectable()
export class OutboxInspector {
  constructor(private readonly store: OutboxStore) {}

  status(): Promise<OutboxStatusReport> {
    return this.store.statusReport();
  }

  failed(limit: number): Promise<FailedRowsPage> {
    return this.store.failed(limit);
  }

  /** The status of each id the outbox holds; ids it does not hold are absent. */
  statuses(ids: string[], tx?: StorageTransaction): Promise<Map<string, OutboxStatus>> {
    return this.store.statuses(ids, tx);
  }
}
