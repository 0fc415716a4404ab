import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ClsService } from 'nestjs-cls';
import type { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../../event-bus.constants';
import { EventBusConfigurationError } from '../../errors/event-bus-configuration.error';
import type { ResolvedEventBusOptions } from '../../interfaces/event-bus-options.interface';
import type { OutgoingEvent } from '../../interfaces/event-bus-interceptor.interface';
import { loadOptionalPackage } from '../../util/load-package';
import {
  ambientHostOtherDataSource,
  entitiesNotRegistered,
  joiningAmbientTransactions,
} from '../../event-bus.messages';
import { StorageTransaction, UnitOfWork } from '../unit-of-work';
import { type SqlDialect, dialectOf } from './dialects/sql-dialect';
import { sqliteDialect } from './dialects/sqlite';
import { findDataSource } from './data-source.lookup';
import { serializeSqliteTransactions } from './sqlite-transaction.serializer';
import { TypeOrmCommitTracker } from './typeorm-commit.tracker';
import { OutboxMessage } from './entities/outbox-message.entity';
import { InboxRecord } from './entities/inbox-record.entity';
import { EventTrace } from './entities/event-trace.entity';

type TypeOrmTransactionHost = TransactionHost<TransactionalAdapterTypeOrm>;
type NestjsCls = typeof import('nestjs-cls');
type ClsTransactional = typeof import('@nestjs-cls/transactional');

/**
 * The TypeORM adapter's `UnitOfWork`: which DataSource, which dialect, and how to run work in a
 * transaction, whose handle is the transaction's `EntityManager`. When the application uses
 * `@nestjs-cls/transactional`, transactions `run` opens are also the ambient one, so
 * `@Transactional()` code called from a handler joins them. Both packages are optional peers,
 * loaded only if installed: without them there is no ambient transaction, and `publish()` takes
 * `{ manager }`.
 */
@Injectable()
export class TypeOrmUnitOfWork extends UnitOfWork {
  private readonly logger = new Logger(TypeOrmUnitOfWork.name);
  private txHost?: TypeOrmTransactionHost;
  private cls?: ClsService;
  private transactional?: ClsTransactional;
  private source?: DataSource;
  private kind: SqlDialect = sqliteDialect;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly moduleRef: ModuleRef,
    private readonly commits: TypeOrmCommitTracker,
  ) {
    super();
  }

  /** Resolved on first use, so it works from any lifecycle hook. */
  private init(): DataSource {
    if (this.source) return this.source;
    const source = findDataSource(this.moduleRef, this.options.dataSource);
    this.kind = dialectOf(source);
    if (!this.kind.locksClaimedRows) serializeSqliteTransactions(source);
    if (!source.subscribers.includes(this.commits)) source.subscribers.push(this.commits);
    this.loadCls(source);
    if (this.txHost) this.logger.debug(joiningAmbientTransactions());
    this.source = source;
    return source;
  }

  get dataSource(): DataSource {
    return this.init();
  }

  get dialect(): SqlDialect {
    this.init();
    return this.kind;
  }

  get locksClaimedRows(): boolean {
    return this.dialect.locksClaimedRows;
  }

  /** The ambient transaction's manager, when code runs inside `@Transactional()`. */
  ambient(): EntityManager | undefined {
    this.init();
    if (!this.txHost || !this.cls?.isActive()) return undefined;
    return this.txHost.isTransactionActive() ? this.txHost.tx : undefined;
  }

  /** Runs `work` in a new transaction, which is also the ambient one for cls-transactional code. */
  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const source = this.init();
    const { txHost, cls, transactional } = this;
    if (txHost && cls && transactional) {
      return cls.run({ ifNested: 'inherit' }, () =>
        txHost.withTransaction(transactional.Propagation.RequiresNew, () => work(txHost.tx)),
      );
    }
    return source.transaction((manager) => work(manager));
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.init().transaction((manager) => work(manager));
  }

  isOpen(tx: StorageTransaction): boolean {
    return managerOf(tx).queryRunner?.isTransactionActive === true;
  }

  /** The DataSource's own manager: each query commits on its own. */
  autoCommit(): EntityManager {
    return this.init().manager;
  }

  trackCommit(tx: StorageTransaction, events: readonly OutgoingEvent[]): void {
    this.commits.markDirty(managerOf(tx).queryRunner!, events);
  }

  onCommit(listener: (events: readonly OutgoingEvent[]) => void): void {
    this.commits.onCommit(listener);
  }

  verify(): void {
    const dataSource = this.init();
    const required: Array<new () => object> = [OutboxMessage, InboxRecord];
    if (this.options.tracing.log.enabled) required.push(EventTrace);
    const missing = required.filter((entity) => !dataSource.hasMetadata(entity)).map((e) => e.name);
    if (missing.length > 0) throw new EventBusConfigurationError(entitiesNotRegistered(missing));
  }

  /**
   * Joins the application's @nestjs-cls/transactional, if it has the packages and a host for
   * our DataSource; required here rather than imported, so an application without them starts.
   */
  private loadCls(source: DataSource): void {
    // nestjs-cls first: the plugin requires it, so the plugin alone would fail to load.
    const nestjsCls = loadOptionalPackage<NestjsCls>('nestjs-cls');
    const transactional =
      nestjsCls && loadOptionalPackage<ClsTransactional>('@nestjs-cls/transactional');
    if (!nestjsCls || !transactional) return;
    this.transactional = transactional;
    this.txHost = this.managesSource(this.optional(transactional.TransactionHost), source);
    this.cls = this.optional(nestjsCls.ClsService);
  }

  /** The cls host only if its transactions are on our DataSource (not another connection's). */
  private managesSource(
    host: TypeOrmTransactionHost | undefined,
    source: DataSource,
  ): TypeOrmTransactionHost | undefined {
    if (!host) return undefined;
    try {
      if (host.tx.connection === source) return host;
    } catch {
      // no fallback instance to compare: do not join
    }
    this.logger.warn(ambientHostOtherDataSource());
    return undefined;
  }

  private optional<T>(token: abstract new (...args: never[]) => T): T | undefined {
    try {
      return this.moduleRef.get(token as never, { strict: false }) as T;
    } catch {
      return undefined;
    }
  }
}

/** The TypeORM adapter's transactions are its EntityManagers; the core hands them back unread. */
export function managerOf(tx: StorageTransaction): EntityManager {
  return tx as EntityManager;
}
