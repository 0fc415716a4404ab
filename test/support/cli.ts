import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { KAFKA_BROKERS } from './kafka';

const ROOT = resolve(__dirname, '..', '..');
/** The built CLI (`npm run build`; `npm run test:e2e` builds first). */
export const CLI_MAIN = join(ROOT, 'apps', 'cli', 'dist', 'main.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as an operator would, in a child process, on the test broker. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        EVENT_TOPIC_PREFIX: '',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The CLI must exit on its own (clients closed); a hang is a failure, not a timeout to kill.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`events ${args.join(' ')} did not exit within 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
