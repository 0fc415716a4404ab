/**
 * What metrics, spans and the event trace log cost on the embedded path (SQLite + in-memory
 * transport, where the bus's own work weighs most). Runs the event-bus-embedded-sqlite scenario
 * in separate processes with observability off, on (the defaults) and with the trace log, in
 * alternating rounds, and prints events/s and CPU per 1k events as ratios against "off".
 *
 *   npm run bench:observability [-- --rounds 2 --events 20000]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ScenarioResult } from './lib/scenario';

const ROOT = join(__dirname, '..', '..');
const MODES = ['off', 'on', 'log'] as const;

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function run(mode: string, events: number): Promise<ScenarioResult> {
  const script = join(ROOT, 'dist', 'bench', 'scenarios', 'event-bus-embedded-sqlite.js');
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [script, '--events', String(events), '--rate-events', '0'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, BENCH_OBSERVABILITY: mode },
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) done(JSON.parse(line.slice('RESULT '.length)) as ScenarioResult);
      else fail(new Error(`BENCH_OBSERVABILITY=${mode} failed (exit ${code})`));
    });
  });
}

async function main(): Promise<void> {
  const rounds = arg('rounds', 2);
  const events = arg('events', 20000);
  const results = new Map<string, ScenarioResult[]>(MODES.map((m) => [m, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const mode of MODES) {
      const result = await run(mode, events);
      results.get(mode)!.push(result);
      process.stderr.write(
        `round ${round} ${mode}: ${result.eventsPerSec} events/s, ${result.cpuSecPer1kEvents} CPU s/1k\n`,
      );
    }
  }
  const mean = (mode: string, pick: (r: ScenarioResult) => number) => {
    const list = results.get(mode)!;
    return list.reduce((sum, r) => sum + pick(r), 0) / list.length;
  };
  const baseEps = mean('off', (r) => r.eventsPerSec);
  const baseCpu = mean('off', (r) => r.cpuSecPer1kEvents);
  process.stdout.write(`observability | events/s | vs off | CPU s/1k | vs off\n`);
  for (const mode of MODES) {
    const eps = mean(mode, (r) => r.eventsPerSec);
    const cpu = mean(mode, (r) => r.cpuSecPer1kEvents);
    process.stdout.write(
      `${mode} | ${eps.toFixed(0)} | ${(eps / baseEps).toFixed(2)} | ${cpu.toFixed(3)} | ${(cpu / baseCpu).toFixed(2)}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
