import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { contractEvents } from '../contracts/contract-events';
import { SCHEMAS_DIR, versionFileName } from '../contracts/contract-files';
import { eventVersionSchema } from '../contracts/event-schema';
import { snapshotOf, snapshotText } from '../contracts/schema-check';
import { CliOutput } from '../output/cli.output';
import type { SchemaDirOptions } from './schema-check.command';

@SubCommand({
  name: 'record',
  description:
    'Record the schema of each version of libs/contracts not recorded yet (part of releasing it); never rewrites one',
})
export class SchemaRecordCommand extends CommandRunner {
  constructor(private readonly out: CliOutput) {
    super();
  }

  async run(_params: string[], options: SchemaDirOptions): Promise<void> {
    const dir = options.schemas ?? SCHEMAS_DIR;
    const rows: string[][] = [];
    for (const event of contractEvents().map(eventVersionSchema)) {
      const path = join(dir, versionFileName(event.type, event.version));
      // A released version's schema is history: changing it is what "schema check" refuses.
      if (existsSync(path)) {
        rows.push(['kept', path]);
        continue;
      }
      writeFileSync(path, snapshotText(snapshotOf(event)));
      rows.push(['recorded', path]);
    }
    this.out.table(['STATUS', 'FILE'], rows);
    this.out.line();
    this.out.line('Run "npm run events -- schema check" next, and commit the new files.');
  }

  @Option({ flags: '--schemas <dir>', description: `recorded schemas (default ${SCHEMAS_DIR})` })
  parseSchemas(value: string): string {
    return value;
  }
}
