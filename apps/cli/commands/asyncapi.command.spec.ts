import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT_CODES } from '../cli.errors';
import type { CliOutput } from '../output/cli.output';
import { AsyncApiCommand } from './asyncapi.command';

describe('events asyncapi', () => {
  let dir: string;
  let lines: string[];
  let command: AsyncApiCommand;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'asyncapi-command-'));
    lines = [];
    const out: Pick<CliOutput, 'line'> = { line: (text = '') => void lines.push(text) };
    command = new AsyncApiCommand(out as CliOutput);
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes --out, and --check then passes', async () => {
    const file = join(dir, 'nested', 'asyncapi.yaml');
    await command.run([], { out: file });
    expect(await readFile(file, 'utf8')).toMatch(/^asyncapi: 3\.0\.0$/m);

    await command.run([], { out: file, check: true });
    expect(lines).toEqual([`Wrote ${file}.`, `${file} is up to date.`]);
  });

  it('--check fails naming the file when it is stale, and writes nothing', async () => {
    const file = join(dir, 'asyncapi.yaml');
    await writeFile(file, 'asyncapi: 3.0.0\n');

    const failure = command.run([], { out: file, check: true });
    await expect(failure).rejects.toThrow(CliError);
    await expect(failure).rejects.toMatchObject({
      exitCode: EXIT_CODES.failed,
      message: expect.stringContaining(`${file} differs`) as string,
    });
    expect(await readFile(file, 'utf8')).toBe('asyncapi: 3.0.0\n');
  });

  it('--check fails when the file is missing', async () => {
    const file = join(dir, 'missing.yaml');
    await expect(command.run([], { out: file, check: true })).rejects.toThrow(
      `${file} is missing: run \`npm run asyncapi\``,
    );
  });
});
