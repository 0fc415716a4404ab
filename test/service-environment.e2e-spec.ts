import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

interface Exit {
  code: number | null;
  output: string;
}

/** Runs a built service's main.js and waits for it to exit (a bad environment ends it at once). */
function runService(service: string, env: Record<string, string>): Promise<Exit> {
  const main = join(ROOT, 'apps', service, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first.`);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [main], { cwd: ROOT, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${service} did not exit within 30 s:\n${output}`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('a service started with a bad environment', () => {
  it.each([
    [
      'user-service',
      { PORT: 'abc', DATABASE_POOL_SIZE: '0', PASSWORD_SCRYPT_COST: '3' },
      [
        'PORT must be an integer from 0 to 65535, got "abc".',
        'DATABASE_POOL_SIZE must be an integer from 1 to 1000, got "0".',
        'PASSWORD_SCRYPT_COST must be a power of two from 1024 to 1048576, got "3".',
      ],
    ],
    [
      'order-service',
      { KAFKA_BROKERS: 'kafka', EVENT_TRACE_SAMPLE_RATE: '2' },
      [
        'KAFKA_BROKERS must be a comma list of host:port, got "kafka".',
        'EVENT_TRACE_SAMPLE_RATE must be a number from 0 to 1, got "2".',
      ],
    ],
  ])(
    '%s exits with 1, naming every bad variable, without a stack trace',
    async (service, env, problems) => {
      const { code, output } = await runService(service, env);
      expect(code).toBe(1);
      expect(output).toContain('Invalid environment: ');
      for (const problem of problems) expect(output).toContain(problem);
      expect(output).not.toMatch(/^\s+at /m);
      expect(output).not.toContain('listening on');
    },
  );
});
