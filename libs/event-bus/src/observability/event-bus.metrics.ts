import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EVENT_BUS_RESOLVED_OPTIONS, EVENT_TRANSPORT } from '../event-bus.constants';
import type { EventTransport } from '../transports/event-transport.interface';
import { MetricFactory } from './metric-factory';
import { ScrapeCache } from './scrape-cache';
import { describeError } from '../util/describe-error';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import { OutboxStore, type OutboxCounts } from '../storage/outbox.store';
import { HandlerRegistry } from '../discovery/handler.registry';
import { isPackageInstalled } from '../util/load-package';
import type { ProcessStatus } from '../interfaces/event-bus-interceptor.interface';
import { metricsOffWithoutPromClient, scrapeReadingFailed } from '../event-bus.messages';

const OUTCOMES: readonly ProcessStatus[] = [
  'success',
  'duplicate',
  'retried',
  'unavailable',
  'failed',
  'dead_lettered',
  'discarded',
];

/** Metric names; stable, because dashboards and alert rules (ops/) rely on them. */
export const EVENT_BUS_METRICS = {
  published: 'event_bus_events_published_total',
  sent: 'event_bus_events_sent_total',
  sendFailures: 'event_bus_send_failures_total',
  processed: 'event_bus_events_processed_total',
  processingDuration: 'event_bus_processing_duration_seconds',
  endToEndLatency: 'event_bus_end_to_end_latency_seconds',
  outboxPending: 'event_bus_outbox_pending',
  outboxOldestAge: 'event_bus_outbox_oldest_pending_age_seconds',
  outboxFailed: 'event_bus_outbox_failed',
  consumerLag: 'event_bus_consumer_lag',
  backpressurePauses: 'event_bus_backpressure_pauses_total',
  inFlight: 'event_bus_consumer_records_in_flight',
  deadLettersParked: 'event_bus_dead_letters_parked_total',
} as const;

/** Scrapes within this window share one outbox count query and one lag query. */
const SCRAPE_CACHE_MS = 1000;
/** A scrape waits no longer for the database or the broker; the last values stay. */
const SCRAPE_READ_TIMEOUT_MS = 2000;

/**
 * The bus's Prometheus instruments. Labels are bounded: service, event type (registered types
 * only), handler id, outcome, consumer group, topic and partition; never ids or payload data.
 * Several applications in one process share the instruments, told apart by `service`.
 */
@Injectable()
export class EventBusMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventBusMetrics.name);
  readonly enabled: boolean;
  private readonly service: string;
  private readonly consuming: boolean;
  private readonly outboxCounts: ScrapeCache<OutboxCounts>;
  private readonly lags: ScrapeCache<void>;
  /** What removes this application's scrape-time collectors. */
  private readonly collecting: Array<() => void> = [];
  /**
   * Labelled children of the per-event instruments, by metric and label values: resolving the
   * labels of every call (hashing them) cost more than the increment itself.
   */
  private readonly children = new Map<string, Map<string, unknown>>();
  /** Gauge series this application set, by gauge and label values; removed at shutdown. */
  private readonly gaugeSeries = new Map<Gauge<string>, Map<string, Record<string, string>>>();

  private published?: Counter<string>;
  private sent?: Counter<string>;
  private sendFailures?: Counter<string>;
  private processed?: Counter<string>;
  private duration?: Histogram<string>;
  private endToEnd?: Histogram<string>;
  private lag?: Gauge<string>;
  private pauses?: Counter<string>;
  private parked?: Counter<string>;
  private inFlight?: Gauge<string>;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
    outbox: OutboxStore,
    private readonly handlers: HandlerRegistry,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
  ) {
    this.enabled = options.metrics.enabled;
    this.service = options.serviceId;
    this.consuming = options.consumer.enabled;
    this.outboxCounts = new ScrapeCache(
      () => outbox.counts(),
      SCRAPE_CACHE_MS,
      SCRAPE_READ_TIMEOUT_MS,
    );
    this.lags = new ScrapeCache(() => this.readLags(), SCRAPE_CACHE_MS, SCRAPE_READ_TIMEOUT_MS);
    const { registry } = options.metrics;
    // The options describe the registry structurally (no prom-client in the public types).
    if (this.enabled && registry) this.create(new MetricFactory(registry as unknown as Registry));
    else if (!isPackageInstalled('prom-client')) {
      this.logger.debug(metricsOffWithoutPromClient());
    }
  }

  eventPublished(type: string): void {
    if (this.published) this.child(this.published, { type }).inc();
  }

  eventSent(type: string): void {
    if (this.sent) this.child(this.sent, { type }).inc();
  }

  sendFailed(rows: number): void {
    this.sendFailures?.inc({ service: this.service }, rows);
  }

  eventProcessed(type: string, handler: string, outcome: string): void {
    if (this.processed) this.child(this.processed, { type, handler, outcome }).inc();
  }

  processingTook(type: string, handler: string, seconds: number): void {
    if (this.duration) this.child(this.duration, { type, handler }).observe(seconds);
  }

  handledAfter(type: string, handler: string, seconds: number): void {
    if (this.endToEnd) this.child(this.endToEnd, { type, handler }).observe(Math.max(0, seconds));
  }

  private consumerLag(group: string, topic: string, partition: number, records: number): void {
    if (this.lag) this.setGauge(this.lag, { group, topic, partition: String(partition) }, records);
  }

  /** A dead letter the broker refused was kept in the database and reduced on the topic. */
  deadLetterParked(topic: string): void {
    this.parked?.inc({ service: this.service, topic });
  }

  partitionPaused(topic: string): void {
    this.pauses?.inc({ service: this.service, topic });
  }

  recordsInFlight(count: number): void {
    if (this.inFlight) this.child(this.inFlight, {}).set(count);
  }

  /**
   * Every outcome series of every handler starts at 0, so `increase()` sees the first failure
   * too (a series born at 1 looks like no change).
   */
  onApplicationBootstrap(): void {
    if (!this.processed) return;
    const series = [
      ...this.handlers.all().flatMap((h) => OUTCOMES.map((o) => [h.event.type, h.id, o])),
      ['unknown', 'none', 'dead_lettered'],
    ];
    for (const [type, handler, outcome] of series) {
      this.processed.inc({ service: this.service, type, handler, outcome }, 0);
    }
    // Same for parked dead letters, per topic read here, so the alert's increase() sees the first.
    for (const topic of new Set(this.handlers.all().map((h) => h.event.topic)))
      this.parked?.inc({ service: this.service, topic }, 0);
  }

  private child<T extends Counter<string> | Histogram<string> | Gauge<string>>(
    metric: T,
    labels: Record<string, string>,
  ): ReturnType<T['labels']> {
    const name = (metric as unknown as { name: string }).name;
    let byLabels = this.children.get(name);
    if (!byLabels) this.children.set(name, (byLabels = new Map()));
    const key = Object.values(labels).join('\u0000');
    let child = byLabels.get(key);
    if (!child) {
      child = metric.labels({ service: this.service, ...labels });
      byLabels.set(key, child);
    }
    return child as ReturnType<T['labels']>;
  }

  /** Runs after the bus stopped; a closed application's gauge series leave the registry. */
  onApplicationShutdown(): void {
    for (const stop of this.collecting.splice(0)) stop();
    for (const [gauge, series] of this.gaugeSeries) {
      for (const labels of series.values()) gauge.remove(labels);
    }
    this.gaugeSeries.clear();
    if (this.inFlight) this.inFlight.remove({ service: this.service });
  }

  /** Sets a gauge series of this application, remembered so shutdown can remove it. */
  private setGauge(gauge: Gauge<string>, labels: Record<string, string>, value: number): void {
    const full = { service: this.service, ...labels };
    let series = this.gaugeSeries.get(gauge);
    if (!series) this.gaugeSeries.set(gauge, (series = new Map()));
    series.set(Object.values(labels).join('\u0000'), full);
    gauge.set(full, Math.max(0, value));
  }

  private create(factory: MetricFactory): void {
    const names = EVENT_BUS_METRICS;
    this.published = factory.counter(names.published, 'Events written to the outbox.', ['type']);
    this.sent = factory.counter(names.sent, 'Events the relay handed to the broker.', ['type']);
    this.sendFailures = factory.counter(
      names.sendFailures,
      'Outbox rows whose send to the broker failed (each attempt).',
      [],
    );
    this.processed = factory.counter(
      names.processed,
      'Handler outcomes: success, duplicate, retried, unavailable (a dependency was down), failed (gave up), dead_lettered, discarded (dropped by the failure policy).',
      ['type', 'handler', 'outcome'],
    );
    this.duration = factory.histogram(
      names.processingDuration,
      'Duration of one handler attempt.',
      ['type', 'handler'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    this.endToEnd = factory.histogram(
      names.endToEndLatency,
      'From the event time (publish) to its successful handling, per handler.',
      ['type', 'handler'],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    );
    this.pauses = factory.counter(
      names.backpressurePauses,
      'Times a partition was held while a handler waited to retry.',
      ['topic'],
    );
    this.parked = factory.counter(
      names.deadLettersParked,
      'Dead letters the broker refused for good: kept whole in event_dead_letter, reduced on the topic.',
      ['topic'],
    );
    this.inFlight = factory.gauge(
      names.inFlight,
      'Records taken from the broker and not yet finished.',
      [],
    );
    this.lag = factory.gauge(
      names.consumerLag,
      "Records between the group's committed offset and the end of the partition.",
      ['group', 'topic', 'partition'],
    );
    if (this.transport.consumerLag && this.consuming) {
      // Read from the broker's committed offsets, so a stopped consumer shows its lag growing.
      this.collectInto(factory, this.lag, () => this.lags.get());
    }
    const outboxGauge = (name: string, help: string, value: (c: OutboxCounts) => number) => {
      const gauge = factory.gauge(name, help, []);
      this.collectInto(factory, gauge, async () => {
        this.setGauge(gauge, {}, value(await this.outboxCounts.get()));
      });
    };
    outboxGauge(names.outboxPending, 'Outbox rows waiting to be sent.', (c) => c.pending);
    outboxGauge(
      names.outboxOldestAge,
      'Age of the oldest pending outbox row (0 when none).',
      (c) => (c.oldestPendingAt ? (Date.now() - c.oldestPendingAt.getTime()) / 1000 : 0),
    );
    outboxGauge(names.outboxFailed, 'Outbox rows the relay gave up on.', (c) => c.failed);
  }

  /** A scrape-time reading; when it fails the gauge keeps its last value and the scrape goes on. */
  private collectInto(
    factory: MetricFactory,
    gauge: Gauge<string>,
    read: () => Promise<unknown>,
  ): void {
    const stop = factory.collect(gauge, async () => {
      try {
        await read();
      } catch (error) {
        this.logger.debug(scrapeReadingFailed(describeError(error)));
      }
    });
    this.collecting.push(stop);
  }

  /** Every group at once; ScrapeCache bounds the wait. */
  private async readLags(): Promise<void> {
    await Promise.all(
      [...this.handlers.byGroup()].map(async ([group, handlers]) => {
        const topics = [...new Set(handlers.map((h) => h.event.topic))];
        const lags = await this.transport.consumerLag!(group, topics);
        for (const { topic, partition, lag } of lags)
          this.consumerLag(group, topic, partition, lag);
      }),
    );
  }
}
