import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The optional peers of @nestbus/event-bus are loaded only when a feature asks for them. Each
 * case runs test/support/optional-peers/peers-app.js in a child process against the BUILT
 * package (libs/event-bus/dist, through its package.json), with hide-packages.js preloaded so
 * that every optional peer looks uninstalled. An import of one of them at load time, anywhere
 * in the library, makes the child fail.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const OPTIONAL_PEERS: string[] = require('./support/optional-peers/optional-peers.js');

const ROOT = join(__dirname, '..');
const SUPPORT = join(__dirname, 'support', 'optional-peers');
const PRELOAD = join(SUPPORT, 'hide-packages.js');
const APP = join(SUPPORT, 'peers-app.js');
const BUILT_ENTRY = join(ROOT, 'libs', 'event-bus', 'dist', 'src', 'index.js');

interface ErrorReport {
  name: string;
  message: string;
}

interface ChildReport {
  /** The child's whole standard output, log lines included. */
  output: string;
  loadedPeers: string[];
  /** The load scenario: optional peers @nestjs/core loaded by itself, before our entry points. */
  loadedByNest?: string[];
  attempts: string[];
  started?: boolean;
  error?: ErrorReport;
  crashed?: ErrorReport;
  published?: string;
  handled?: string[];
  withoutTransaction?: ErrorReport;
  health?: { error?: ErrorReport; result?: Record<string, { status: string }> };
}

const run = promisify(execFile);

async function child(
  args: string[],
  hidden: string[] = OPTIONAL_PEERS,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(process.execPath, ['-r', PRELOAD, ...args], {
      cwd: ROOT,
      env: { ...process.env, HIDDEN_PACKAGES: hidden.join(','), NO_COLOR: '1' },
      timeout: 60_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`child ${args.join(' ')} failed: ${String(error)}\n${stdout}\n${stderr}`);
  }
}

async function scenario(name: string, hidden?: string[]): Promise<ChildReport> {
  const { stdout, stderr } = await child([APP, name], hidden);
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT from scenario ${name}:\n${stdout}\n${stderr}`);
  const report = { ...JSON.parse(line.slice('RESULT '.length)), output: stdout } as ChildReport;
  if (report.crashed) throw new Error(`scenario ${name} crashed: ${report.crashed.message}`);
  return report;
}

describe('optional peers of the built package', () => {
  beforeAll(() => {
    if (!existsSync(BUILT_ENTRY)) {
      throw new Error(`${BUILT_ENTRY} is missing: run npm run build first`);
    }
  });

  it('hides a package from require, as an uninstalled one (the check this suite rests on)', async () => {
    const probe = `try { require('kafkajs'); console.log('loaded') } catch (e) { console.log(e.code) }`;
    expect((await child(['-e', probe])).stdout.trim()).toBe('MODULE_NOT_FOUND');
    expect((await child(['-e', probe], [])).stdout.trim()).toBe('loaded');
  });

  it('loads none of them when the entry points are required, even where they are installed', async () => {
    const report = await scenario('load', []);
    expect(report.loadedPeers).toEqual([]);
    // Only @nestjs/microservices may come in with Nest itself (its core requires it if present).
    expect(report.loadedByNest).toEqual(['@nestjs/microservices']);
  });

  describe('an application on SQLite and the in-memory transport, without any of them', () => {
    let report: ChildReport;
    beforeAll(async () => {
      report = await scenario('flow');
    });

    it('starts, publishes in a transaction and runs the @EventSubscribe handler', () => {
      expect(report).toMatchObject({ started: true, published: 'peers.item-created' });
      expect(report.handled).toEqual(['item-1']);
      expect(report.loadedPeers).toEqual([]);
    });

    it('turns metrics and tracing off, saying why once each', () => {
      const lines = report.output.split('\n');
      const about = (text: string) => lines.filter((l) => l.includes(text));
      expect(about('Metrics are off: prom-client is not installed')).toHaveLength(1);
      expect(about('Tracing is off: @opentelemetry/api is not installed')).toHaveLength(1);
    });

    it('says, when publish() finds no transaction, that @nestjs-cls/transactional gives ambient ones', () => {
      expect(report.withoutTransaction?.name).toBe('PublishError');
      expect(report.withoutTransaction?.message).toContain('pass { manager }');
      expect(report.withoutTransaction?.message).toContain('@nestjs-cls/transactional');
    });

    it('names @nestjs/terminus when the health indicator is used', () => {
      expect(report.health?.error).toEqual({
        name: 'EventBusConfigurationError',
        message:
          'EventBusHealthIndicator needs the package "@nestjs/terminus": npm install @nestjs/terminus',
      });
    });
  });

  it('runs the same application with every peer installed, metrics and health included', async () => {
    const report = await scenario('flow', []);
    expect(report.handled).toEqual(['item-1']);
    expect(report.health?.result?.eventBus.status).toBe('up');
    expect(report.loadedPeers).toEqual(expect.arrayContaining(['prom-client', '@nestjs/terminus']));
  });

  it.each([
    ['kafka', 'transport.type "kafka" needs the package "kafkajs": npm install kafkajs'],
    [
      'platformatic-kafka',
      'transport.type "platformatic-kafka" needs the package "@platformatic/kafka": npm install @platformatic/kafka',
    ],
    ['metrics', 'metrics.enabled: true needs the package "prom-client": npm install prom-client'],
    [
      'tracing',
      'tracing.enabled: true needs the package "@opentelemetry/api": npm install @opentelemetry/api',
    ],
  ])(
    'fails startup, naming the package, when %s is asked for without it',
    async (name, message) => {
      const report = await scenario(name);
      expect(report.started).toBe(false);
      expect(report.error).toEqual({ name: 'EventBusConfigurationError', message });
    },
  );
});
