import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { loadPackage } from '../util/load-package';

type PromClient = typeof import('prom-client');

/** Reads a gauge's values at scrape time. */
export type GaugeCollector = (gauge: Gauge<string>) => Promise<void>;

/** Collectors of every application in the process that shares a registry's gauge. */
const collectors = new WeakMap<Gauge<string>, Set<GaugeCollector>>();

/**
 * Creates the bus's instruments on a registry, or returns the ones another application of the
 * process already registered there (prom-client refuses a name twice). Every instrument has a
 * `service` label before the given ones. Loads prom-client (an optional peer): only an
 * application with metrics on makes one.
 */
export class MetricFactory {
  private readonly prom: PromClient;

  constructor(private readonly registry: Registry) {
    this.prom = loadPackage<PromClient>('prom-client', 'metrics.enabled: true');
  }

  counter(name: string, help: string, labels: string[]): Counter<string> {
    const existing = this.registry.getSingleMetric(name) as Counter<string> | undefined;
    return (
      existing ??
      new this.prom.Counter({
        name,
        help,
        labelNames: ['service', ...labels],
        registers: [this.registry],
      })
    );
  }

  histogram(name: string, help: string, labels: string[], buckets: number[]): Histogram<string> {
    const existing = this.registry.getSingleMetric(name) as Histogram<string> | undefined;
    return (
      existing ??
      new this.prom.Histogram({
        name,
        help,
        labelNames: ['service', ...labels],
        buckets,
        registers: [this.registry],
      })
    );
  }

  /** A gauge whose scrape runs the collectors added with `collect()` (by any application). */
  gauge(name: string, help: string, labels: string[]): Gauge<string> {
    const existing = this.registry.getSingleMetric(name) as Gauge<string> | undefined;
    if (existing) return existing;
    const gauge: Gauge<string> = new this.prom.Gauge({
      name,
      help,
      labelNames: ['service', ...labels],
      registers: [this.registry],
      async collect() {
        for (const collector of collectors.get(gauge) ?? []) await collector(gauge);
      },
    });
    collectors.set(gauge, new Set());
    return gauge;
  }

  /** Adds a scrape-time collector to a gauge; returns what removes it. */
  collect(gauge: Gauge<string>, collector: GaugeCollector): () => void {
    collectors.get(gauge)?.add(collector);
    return () => collectors.get(gauge)?.delete(collector);
  }
}
