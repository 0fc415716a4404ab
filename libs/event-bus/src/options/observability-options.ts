import type {
  EventBusModuleOptions,
  MetricsRegistry,
  ResolvedEventBusOptions,
} from '../interfaces/event-bus-options.interface';
import { loadPackage } from '../util/load-package';
import type { OptionChecker } from '../util/option-checker';
import { DAY, EVENT_BUS_DEFAULTS, SECOND } from './event-bus-defaults';

type ObservabilityOptions = Pick<ResolvedEventBusOptions, 'health' | 'tracing' | 'metrics'>;

/** The health thresholds, spans, trace log and metrics, with their defaults. */
export function resolveObservabilityOptions(
  check: OptionChecker,
  options: EventBusModuleOptions,
): ObservabilityOptions {
  const d = EVENT_BUS_DEFAULTS;
  const { health, tracing } = options;
  return {
    health: {
      maxPendingEvents: check.int(
        'health.maxPendingEvents',
        health?.maxPendingEvents ?? d.health.maxPendingEvents,
        1,
        1_000_000_000,
      ),
      maxPendingAgeMs: check.int(
        'health.maxPendingAgeMs',
        health?.maxPendingAgeMs ?? d.health.maxPendingAgeMs,
        1000,
        30 * DAY,
      ),
      maxStalledMs: check.int(
        'health.maxStalledMs',
        health?.maxStalledMs ?? d.health.maxStalledMs,
        1000,
        30 * DAY,
      ),
    },
    tracing: {
      enabled: check.peerFeature(
        'tracing.enabled',
        tracing?.enabled,
        d.tracing.enabled,
        '@opentelemetry/api',
      ),
      recordKeys: check.bool('tracing.recordKeys', tracing?.recordKeys ?? d.tracing.recordKeys),
      log: {
        enabled: check.bool('tracing.log.enabled', tracing?.log?.enabled ?? d.tracing.log.enabled),
        sampleRate: check.number(
          'tracing.log.sampleRate',
          tracing?.log?.sampleRate ?? d.tracing.log.sampleRate,
          0,
          1,
        ),
        retentionMs: check.int(
          'tracing.log.retentionMs',
          tracing?.log?.retentionMs ?? d.tracing.log.retentionMs,
          60 * SECOND,
          3650 * DAY,
        ),
      },
    },
    metrics: resolveMetrics(check, options.metrics, d.metrics.enabled),
  };
}

function resolveMetrics(
  check: OptionChecker,
  value: EventBusModuleOptions['metrics'],
  byDefault: boolean,
): ResolvedEventBusOptions['metrics'] {
  const enabled = check.peerFeature('metrics.enabled', value?.enabled, byDefault, 'prom-client');
  if (value?.registry !== undefined) {
    return { enabled, registry: checkRegistry(check, 'metrics.registry', value.registry) };
  }
  if (!enabled) return { enabled, registry: undefined };
  const { register } = loadPackage<typeof import('prom-client')>(
    'prom-client',
    'metrics.enabled: true',
  );
  return { enabled, registry: register };
}

function checkRegistry(check: OptionChecker, path: string, value: unknown): MetricsRegistry {
  const candidate = value as Partial<MetricsRegistry> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.registerMetric !== 'function' ||
    typeof candidate.getSingleMetric !== 'function'
  ) {
    throw check.error(path, 'a prom-client Registry', value);
  }
  return value as MetricsRegistry;
}
