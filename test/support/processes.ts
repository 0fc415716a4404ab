import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const LOG_DIR = mkdtempSync(join(tmpdir(), 'event-bus-services-'));

export type ServiceName = 'user-service' | 'order-service';

/** A service running as a child process, as in production. */
export interface ServiceProcess {
  name: string;
  url: string;
  logFile: string;
  /** SIGKILL: no shutdown hooks, no commits, no goodbyes. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a graceful exit. */
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

/** Starts `apps/<service>/dist/main.js` with `env` on a free loopback port and waits until it answers. */
export async function startServiceProcess(
  service: ServiceName,
  env: Record<string, string>,
  label: string = service,
): Promise<ServiceProcess> {
  const main = join(ROOT, 'apps', service, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first.`);
  const port = await freePort();
  const logFile = join(LOG_DIR, `${label}-${Date.now()}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `http://127.0.0.1:${port}`;
  const logTail = (lines = 40): string =>
    readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
  await waitUntilAnswering(url, service, child, logTail);
  return {
    name: label,
    url,
    logFile,
    logTail,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitUntilAnswering(
  url: string,
  service: ServiceName,
  child: ChildProcess,
  logTail: () => string,
): Promise<void> {
  const probe =
    service === 'user-service'
      ? '/users/00000000-0000-7000-8000-000000000000'
      : '/profiles?limit=1';
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${service} exited with ${child.exitCode}:\n${logTail()}`);
    try {
      const response = await fetch(url + probe);
      if (response.status === 404 || response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${service} did not answer within 60 s:\n${logTail()}`);
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RegistrationResult {
  status: number | 'unreachable';
  id?: string;
}

/**
 * Registers `count` users with `concurrency` requests in flight. Stops early (without throwing)
 * when `until()` says so; a refused connection counts as 'unreachable'.
 */
export async function registerUsers(
  url: string,
  count: number,
  options: { concurrency?: number; prefix?: string; stopOnUnreachable?: boolean } = {},
): Promise<RegistrationResult[]> {
  const { concurrency = 16, prefix = 'user', stopOnUnreachable = false } = options;
  const results: RegistrationResult[] = [];
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next < count) {
      const n = next++;
      try {
        const response = await fetch(`${url}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            username: `${prefix}_${n}`,
            email: `${prefix}_${n}@example.com`,
            password: 'correct horse battery',
          }),
        });
        const body = (await response.json()) as { id?: string };
        results.push({ status: response.status, id: body.id });
      } catch {
        results.push({ status: 'unreachable' });
        if (stopOnUnreachable) stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
