import { atRate, saturate, waitFor } from './load';
import { LatencyRecorder, ResourceMonitor, round } from './metrics';

/** One way of getting an event from a business transaction to a handler. */
export interface ScenarioDriver {
  readonly name: string;
  /** Latency of each handled event: creation to handler commit. */
  readonly latencies: LatencyRecorder;
  setup(): Promise<void>;
  /** Starts event `i` (its creation time is taken inside). */
  produce(i: number): Promise<void>;
  /** Events handled so far. */
  handled(): number;
  teardown(): Promise<void>;
}

export interface ScenarioSettings {
  /** Events in the saturation phase (throughput, CPU, saturation latency). */
  events: number;
  /** Events offered at `ratePerSecond` in the fixed-load phase (latency). */
  rateEvents: number;
  ratePerSecond: number;
  producers: number;
  warmupEvents: number;
  timeoutMs: number;
}

export interface ScenarioResult {
  name: string;
  events: number;
  eventsPerSec: number;
  /** Latency percentiles at the fixed offered load. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /**
   * Latency percentiles at half of this scenario's own measured saturation: the latency of the
   * path itself, where the fixed load may sit near saturation and measure queueing instead.
   */
  halfSaturationPerSec: number;
  halfSaturationP50Ms: number;
  halfSaturationP95Ms: number;
  halfSaturationP99Ms: number;
  /** Latency percentiles at saturation. */
  saturationP50Ms: number;
  saturationP95Ms: number;
  saturationP99Ms: number;
  peakRssMb: number;
  cpuSecPer1kEvents: number;
  /** Set when the scenario measures something else too (e.g. a backlog drain). */
  notes?: string;
}

const progress = (message: string): void => {
  process.stderr.write(`  ${message}\n`);
};

export async function runScenario(
  driver: ScenarioDriver,
  settings: ScenarioSettings,
): Promise<ScenarioResult> {
  const monitor = new ResourceMonitor();
  monitor.start();
  await driver.setup();
  let base = 0;
  const phase = async (
    label: string,
    count: number,
    offer: () => Promise<void>,
  ): Promise<number> => {
    driver.latencies.reset(count);
    const started = performance.now();
    await offer();
    const offered = (performance.now() - started) / 1000;
    await waitFor(
      () => driver.handled() - base,
      count,
      settings.timeoutMs,
      `${driver.name} ${label}`,
    );
    base += count;
    const seconds = (performance.now() - started) / 1000;
    progress(
      `${driver.name}: ${label} ${count} events produced in ${offered.toFixed(1)} s, handled in ${seconds.toFixed(1)} s`,
    );
    return seconds;
  };
  try {
    await phase('warm-up', settings.warmupEvents, () =>
      saturate(settings.warmupEvents, settings.producers, (i) => driver.produce(i)),
    );
    const cpuBefore = process.cpuUsage();
    const seconds = await phase('saturation', settings.events, () =>
      saturate(settings.events, settings.producers, (i) => driver.produce(base + i)),
    );
    const cpu = process.cpuUsage(cpuBefore);
    const saturation = driver.latencies.percentiles();
    await phase(`fixed load ${settings.ratePerSecond}/s`, settings.rateEvents, () =>
      atRate(settings.rateEvents, settings.ratePerSecond, settings.producers, (i) =>
        driver.produce(base + i),
      ),
    );
    const fixed = driver.latencies.percentiles();
    // About ten seconds at half the rate just measured, at most `rateEvents` events.
    const eventsPerSec = settings.events / seconds;
    const halfRate = Math.max(1, Math.round(eventsPerSec / 2));
    const halfEvents = Math.max(1, Math.min(settings.rateEvents, halfRate * 10));
    await phase(`half saturation ${halfRate}/s`, halfEvents, () =>
      atRate(halfEvents, halfRate, settings.producers, (i) => driver.produce(base + i)),
    );
    const half = driver.latencies.percentiles();
    const { peakRssMb } = monitor.stop();
    return {
      name: driver.name,
      events: settings.events,
      eventsPerSec: round(eventsPerSec, 0),
      p50Ms: fixed.p50,
      p95Ms: fixed.p95,
      p99Ms: fixed.p99,
      halfSaturationPerSec: halfRate,
      halfSaturationP50Ms: half.p50,
      halfSaturationP95Ms: half.p95,
      halfSaturationP99Ms: half.p99,
      saturationP50Ms: saturation.p50,
      saturationP95Ms: saturation.p95,
      saturationP99Ms: saturation.p99,
      peakRssMb,
      cpuSecPer1kEvents: round(((cpu.user + cpu.system) / 1e6 / settings.events) * 1000, 3),
    };
  } finally {
    await driver.teardown();
  }
}

/** Reads `--events N --rate-events N --rate N --producers N` from the command line. */
export function settingsFromArgs(
  argv: string[],
  defaults: Partial<ScenarioSettings> = {},
): ScenarioSettings {
  const arg = (name: string, fallback: number): number => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? Number(argv[index + 1]) : fallback;
  };
  const events = arg('events', defaults.events ?? 20000);
  return {
    events,
    rateEvents: arg('rate-events', defaults.rateEvents ?? 5000),
    ratePerSecond: arg('rate', defaults.ratePerSecond ?? 1000),
    producers: arg('producers', defaults.producers ?? 32),
    warmupEvents: arg('warmup', defaults.warmupEvents ?? Math.min(1000, Math.ceil(events / 10))),
    timeoutMs: arg('timeout-ms', defaults.timeoutMs ?? 300000),
  };
}

/** Runs a scenario as a script: prints `RESULT <json>` on stdout, exits non-zero on failure. */
export function main(create: () => ScenarioDriver, defaults: Partial<ScenarioSettings> = {}): void {
  runScenario(create(), settingsFromArgs(process.argv, defaults))
    .then((result) => {
      process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
      process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      // @platformatic/kafka reports a failed request as an AggregateError of its causes.
      for (const cause of error instanceof AggregateError ? error.errors : [])
        process.stderr.write(`  caused by: ${cause instanceof Error ? cause.message : cause}\n`);
      process.exit(1);
    });
}
