import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The benchmark harness runs end to end on a tiny count (numbers are not looked at). */
describe('bench harness', () => {
  it('runs the in-process scenarios and writes results shaped as documented', () => {
    const root = resolve(__dirname, '..');
    const out = mkdtempSync(join(tmpdir(), 'event-bus-bench-smoke-'));
    try {
      execFileSync(
        process.execPath,
        [
          join(root, 'dist', 'bench', 'run.js'),
          '--quick',
          '--only',
          'nestjs-cqrs-inprocess,event-bus-inprocess',
          '--out',
          out,
        ],
        { cwd: root, stdio: 'pipe', timeout: 120000 },
      );
      const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as {
        machine: Record<string, unknown>;
        scenarios: Array<Record<string, unknown>>;
        ratios: Record<string, unknown>;
      };
      expect(report.machine.cores).toEqual(expect.any(Number));
      expect(report.scenarios.map((s) => s.name)).toEqual([
        'nestjs-cqrs-inprocess',
        'event-bus-inprocess',
      ]);
      for (const scenario of report.scenarios) {
        for (const field of [
          'events',
          'eventsPerSec',
          'p50Ms',
          'p95Ms',
          'p99Ms',
          'halfSaturationPerSec',
          'halfSaturationP99Ms',
          'peakRssMb',
          'cpuSecPer1kEvents',
        ]) {
          expect(scenario[field]).toEqual(expect.any(Number));
        }
        expect(scenario.eventsPerSec).toBeGreaterThan(0);
      }
      expect(report.ratios.inprocessVsNestjsCqrs).toEqual(expect.any(Number));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
