/** Wall-clock milliseconds with sub-millisecond precision, comparable within one process. */
export const now = (): number => performance.timeOrigin + performance.now();

/** Latency samples in milliseconds; fixed capacity so recording never allocates. */
export class LatencyRecorder {
  private samples: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (this.count < this.samples.length) this.samples[this.count] = ms;
    this.count += 1;
  }

  get recorded(): number {
    return this.count;
  }

  reset(capacity = this.samples.length): void {
    if (capacity !== this.samples.length) this.samples = new Float64Array(capacity);
    this.count = 0;
  }

  percentiles(): { p50: number; p95: number; p99: number } {
    const n = Math.min(this.count, this.samples.length);
    const sorted = this.samples.slice(0, n).sort();
    const at = (q: number): number =>
      n === 0 ? NaN : round(sorted[Math.min(n - 1, Math.floor(q * n))]);
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

/** Peak resident memory and CPU time of this process between start() and stop(). */
export class ResourceMonitor {
  private peakRss = 0;
  private timer?: NodeJS.Timeout;
  private cpuStart?: NodeJS.CpuUsage;

  start(): void {
    this.cpuStart = process.cpuUsage();
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
  }

  stop(): { peakRssMb: number; cpuSec: number } {
    clearInterval(this.timer);
    this.sample();
    const cpu = process.cpuUsage(this.cpuStart);
    return { peakRssMb: round(this.peakRss / 1024 / 1024), cpuSec: (cpu.user + cpu.system) / 1e6 };
  }

  private sample(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
  }
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
