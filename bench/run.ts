/*
 * `npm run bench`: every scenario, one child process each (so memory and CPU are its own), on
 * the same Kafka broker and PostgreSQL server, then one table and bench/results/latest.json.
 *   npm run bench                 full run
 *   npm run bench -- --quick      tiny counts (checks the harness, numbers mean nothing)
 *   npm run bench -- --only a,b   some scenarios
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { PG_ADMIN_URL } from './lib/bench-infra';
import type { ScenarioResult } from './lib/scenario';

const ROOT = resolve(__dirname, '..', '..');
const SCENARIOS = [
  'business-only',
  'outbox-minimum',
  'kafkajs-raw',
  'platformatic-raw',
  'kafkajs-raw-produce',
  'platformatic-raw-produce',
  'relay-drain',
  'relay-drain-platformatic',
  'consumer-drain-nestjs',
  'consumer-drain-event-bus',
  'consumer-drain-event-bus-platformatic',
  'nestjs-kafka-transport',
  'event-bus-nest-handlers',
  'event-bus-guaranteed-postgres',
  'event-bus-guaranteed-postgres-platformatic',
  'event-bus-guaranteed-pg-transport',
  'event-bus-cross-instance',
  'event-bus-embedded-sqlite',
  'nestjs-cqrs-inprocess',
  'event-bus-inprocess',
  'event-bus-backlog-drain',
];
/** `<scenario>-platformatic`: the same script on @platformatic/kafka (`--client`, bench-infra). */
const ON_PLATFORMATIC = '-platformatic';
const QUICK_ARGS = ['--events', '300', '--rate-events', '200', '--warmup', '50'];
const SCENARIO_TIMEOUT_MS = 15 * 60 * 1000;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIndex = args.indexOf('--only');
  const selected = onlyIndex >= 0 ? args[onlyIndex + 1].split(',') : SCENARIOS;
  const outDir = args.includes('--out')
    ? args[args.indexOf('--out') + 1]
    : join(ROOT, 'bench', 'results');

  await requirePostgres();
  const startedKafka = ensureKafka();
  const results: ScenarioResult[] = [];
  try {
    for (const name of selected) {
      if (!SCENARIOS.includes(name))
        throw new Error(`Unknown scenario "${name}"; known: ${SCENARIOS.join(', ')}`);
      process.stderr.write(`\n▶ ${name}\n`);
      results.push(await runScenario(name, quick ? QUICK_ARGS : []));
    }
  } finally {
    if (startedKafka)
      execFileSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'stop'], { stdio: 'inherit' });
  }

  const report = { machine: machine(), quick, scenarios: results, ratios: ratios(results) };
  printTable(results, report.ratios);
  mkdirSync(outDir, { recursive: true });
  const body = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(outDir, 'latest.json'), body);
  writeFileSync(join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), body);
  process.stderr.write(`\nWrote ${join(outDir, 'latest.json')}\n`);
}

function runScenario(name: string, extra: string[]): Promise<ScenarioResult> {
  const variant = name.endsWith(ON_PLATFORMATIC);
  const file = variant ? name.slice(0, -ON_PLATFORMATIC.length) : name;
  const script = join(ROOT, 'dist', 'bench', 'scenarios', `${file}.js`);
  const client = variant ? ['--client', 'platformatic-kafka'] : [];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...client, ...extra], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), SCENARIO_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) done(JSON.parse(line.slice('RESULT '.length)) as ScenarioResult);
      else
        fail(new Error(`Scenario ${name} failed (exit ${code ?? signal}); its output:\n${stdout}`));
    });
  });
}

function ratios(results: ScenarioResult[]): Record<string, number | null> {
  const eps = (name: string): number | undefined =>
    results.find((r) => r.name === name)?.eventsPerSec;
  const ratio = (a: string, b: string): number | null => {
    const x = eps(a);
    const y = eps(b);
    return x && y ? Number((x / y).toFixed(2)) : null;
  };
  return {
    // The ceilings on the same database and producers: no messaging, and the least outbox work.
    guaranteedVsOutboxMinimum: ratio('event-bus-guaranteed-postgres', 'outbox-minimum'),
    guaranteedVsBusinessOnly: ratio('event-bus-guaranteed-postgres', 'business-only'),
    // The stages alone, each against what its client or Nest's transport does alone.
    relayDrainVsKafkajsRawProduce: ratio('relay-drain', 'kafkajs-raw-produce'),
    consumerDrainEventBusVsNestjs: ratio('consumer-drain-event-bus', 'consumer-drain-nestjs'),
    guaranteedPostgresVsNestjsKafkaTransport: ratio(
      'event-bus-guaranteed-postgres',
      'nestjs-kafka-transport',
    ),
    nestHandlersVsNestjsKafkaTransport: ratio('event-bus-nest-handlers', 'nestjs-kafka-transport'),
    guaranteedPostgresVsKafkajsRaw: ratio('event-bus-guaranteed-postgres', 'kafkajs-raw'),
    inprocessVsNestjsCqrs: ratio('event-bus-inprocess', 'nestjs-cqrs-inprocess'),
    embeddedSqliteVsGuaranteedPostgres: ratio(
      'event-bus-embedded-sqlite',
      'event-bus-guaranteed-postgres',
    ),
    // The two Kafka clients side by side: @platformatic/kafka over kafkajs, stage by stage.
    platformaticVsKafkajsRaw: ratio('platformatic-raw', 'kafkajs-raw'),
    platformaticVsKafkajsRawProduce: ratio('platformatic-raw-produce', 'kafkajs-raw-produce'),
    relayDrainPlatformaticVsPlatformaticRawProduce: ratio(
      'relay-drain-platformatic',
      'platformatic-raw-produce',
    ),
    relayDrainPlatformaticVsKafkajs: ratio('relay-drain-platformatic', 'relay-drain'),
    consumerDrainEventBusPlatformaticVsKafkajs: ratio(
      'consumer-drain-event-bus-platformatic',
      'consumer-drain-event-bus',
    ),
    guaranteedPostgresPlatformaticVsKafkajs: ratio(
      'event-bus-guaranteed-postgres-platformatic',
      'event-bus-guaranteed-postgres',
    ),
    // The broker-less transport: the same business transaction, topics in a bus database.
    pgTransportVsOutboxMinimum: ratio('event-bus-guaranteed-pg-transport', 'outbox-minimum'),
    pgTransportVsGuaranteedPostgres: ratio(
      'event-bus-guaranteed-pg-transport',
      'event-bus-guaranteed-postgres',
    ),
    pgTransportP99MsAtHalfSaturation:
      results.find((r) => r.name === 'event-bus-guaranteed-pg-transport')?.halfSaturationP99Ms ??
      null,
    guaranteedPostgresP99MsAt1000PerSec:
      results.find((r) => r.name === 'event-bus-guaranteed-postgres')?.p99Ms ?? null,
    guaranteedPostgresP99MsAtHalfSaturation:
      results.find((r) => r.name === 'event-bus-guaranteed-postgres')?.halfSaturationP99Ms ?? null,
  };
}

/** A table cell: a drain has no latency (NaN, null once through JSON). */
const cell = (value: number | null): string =>
  value === null || Number.isNaN(value) ? '—' : String(value);

function printTable(results: ScenarioResult[], ratioValues: Record<string, number | null>): void {
  const header = [
    'scenario',
    'events',
    'events/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'half rate/s',
    'half p99 ms',
    'sat p99 ms',
    'peak RSS MB',
    'CPU s/1k',
  ];
  const rows = results.map((r) => [
    r.name,
    cell(r.events),
    cell(r.eventsPerSec),
    cell(r.p50Ms),
    cell(r.p95Ms),
    cell(r.p99Ms),
    cell(r.halfSaturationPerSec),
    cell(r.halfSaturationP99Ms),
    cell(r.saturationP99Ms),
    cell(r.peakRssMb),
    cell(r.cpuSecPer1kEvents),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log(
    "\nratios (p50-p99 at 1,000 events/s; half: at half the scenario's own saturation; latency: event creation to handler commit):",
  );
  for (const [name, value] of Object.entries(ratioValues))
    console.log(`  ${name}: ${value ?? 'n/a'}`);
}

function machine(): Record<string, unknown> {
  const kafka = (() => {
    try {
      return execFileSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'status'], {
        encoding: 'utf8',
      }).trim();
    } catch {
      return 'not running';
    }
  })();
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGb: Number((totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    kafkaVersion: process.env.KAFKA_VERSION ?? '4.4.0',
    kafka,
    date: new Date().toISOString(),
  };
}

async function requirePostgres(): Promise<void> {
  const client = new Client({ connectionString: PG_ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_ADMIN_URL} (${(error as Error).message}); start it with ` +
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Starts the broker when none runs; returns whether it did (so it stops it afterwards). */
function ensureKafka(): boolean {
  const script = join(ROOT, 'scripts', 'kafka.sh');
  try {
    execFileSync('bash', [script, 'status'], { stdio: 'ignore' });
    return false;
  } catch {
    execFileSync('bash', [script, 'start'], { stdio: 'inherit' });
    return true;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
