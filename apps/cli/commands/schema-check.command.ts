import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { CliError } from '../cli.errors';
import { contractEvents, contractUpcasts } from '../contracts/contract-events';
import {
  FIXTURES_DIR,
  readFixtureVersions,
  readSnapshots,
  SCHEMAS_DIR,
} from '../contracts/contract-files';
import { eventVersionSchema } from '../contracts/event-schema';
import { checkSchemas } from '../contracts/schema-check';
import { CliOutput } from '../output/cli.output';

export interface SchemaDirOptions {
  schemas?: string;
  fixtures?: string;
}

@SubCommand({
  name: 'check',
  description:
    'Fail, naming the event, version and field, when a change to libs/contracts would break a released version',
})
export class SchemaCheckCommand extends CommandRunner {
  constructor(private readonly out: CliOutput) {
    super();
  }

  async run(_params: string[], options: SchemaDirOptions): Promise<void> {
    const current = contractEvents()
      .map(eventVersionSchema)
      .sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version);
    const problems = checkSchemas({
      current,
      released: readSnapshots(options.schemas ?? SCHEMAS_DIR),
      upcasts: contractUpcasts(),
      fixtures: readFixtureVersions(options.fixtures ?? FIXTURES_DIR),
    });
    if (problems.length === 0) {
      const versions = current.map((e) => `${e.type} v${e.version}`).join(', ');
      this.out.line(`Every version is compatible and recorded: ${versions}.`);
      return;
    }
    this.out.table(
      ['EVENT', 'VERSION', 'FIELD', 'PROBLEM'],
      problems.map((p) => [p.type, `v${p.version}`, p.field ?? '-', p.message]),
    );
    throw new CliError(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in libs/contracts; ` +
        'see the README, "Releasing a new event version".',
    );
  }

  @Option({ flags: '--schemas <dir>', description: `recorded schemas (default ${SCHEMAS_DIR})` })
  parseSchemas(value: string): string {
    return value;
  }

  @Option({ flags: '--fixtures <dir>', description: `wire fixtures (default ${FIXTURES_DIR})` })
  parseFixtures(value: string): string {
    return value;
  }
}
