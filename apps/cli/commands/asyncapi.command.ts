import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { CliError } from '../cli.errors';
import { ASYNCAPI_FILE, generateAsyncApi } from '../contracts/asyncapi-document';
import { CliOutput } from '../output/cli.output';

interface AsyncApiOptions {
  out?: string;
  check?: boolean;
}

@Command({
  name: 'asyncapi',
  description:
    'Write the AsyncAPI 3.0 catalogue of the events, derived from the contracts and the services',
})
export class AsyncApiCommand extends CommandRunner {
  constructor(private readonly out: CliOutput) {
    super();
  }

  async run(_params: string[], options: AsyncApiOptions): Promise<void> {
    const file = options.out ?? ASYNCAPI_FILE;
    const document = await generateAsyncApi();
    if (options.check) {
      // A missing file is as stale as a changed one: CI must not pass without it.
      const committed = await readFile(file, 'utf8').catch(() => undefined);
      if (committed !== document) {
        const problem = committed === undefined ? 'is missing' : 'differs from what the code gives';
        throw new CliError(`${file} ${problem}: run \`npm run asyncapi\` and commit the result.`);
      }
      this.out.line(`${file} is up to date.`);
      return;
    }
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, document);
    this.out.line(`Wrote ${file}.`);
  }

  @Option({ flags: '--out <file>', description: `where to write it (default ${ASYNCAPI_FILE})` })
  parseOut(value: string): string {
    return value;
  }

  @Option({
    flags: '--check',
    description: 'write nothing; exit 1 when the file differs from what the code gives',
  })
  parseCheck(): boolean {
    return true;
  }
}
