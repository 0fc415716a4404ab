import { ParkedDeadLetterStore } from '@nestbus/event-bus/operations';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { CliError } from '../cli.errors';
import { CliDatabase } from '../infrastructure/cli-database';
import { CliOutput } from '../output/cli.output';
import { formatBytes, oneLine } from '../output/format';
import { parseCount } from './option.parsers';

interface ParkedListOptions {
  limit?: string;
  all?: boolean;
}

const DEFAULT_LIMIT = 50;

@SubCommand({
  name: 'list',
  description: 'List parked dead letters, oldest first (replayed ones only with --all)',
})
export class DlqParkedListCommand extends CommandRunner {
  constructor(
    private readonly database: CliDatabase,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run(_params: string[], options: ParkedListOptions): Promise<void> {
    const limit = parseCount('--limit', options.limit, DEFAULT_LIMIT, 1000);
    const rows = await this.database.use(async (session) => {
      if (!(await session.hasTable('event_dead_letter'))) {
        throw new CliError(
          `${session.location} has no event_dead_letter table: start the service once so its migrations run.`,
        );
      }
      return session.get(ParkedDeadLetterStore).list({ limit, includeReplayed: options.all });
    });
    if (rows.length === 0) {
      this.out.line(options.all ? 'No parked dead letters.' : 'No parked dead letters to replay.');
      return;
    }
    this.out.table(
      ['ID', 'ORIGINAL', 'KEY', 'BYTES', 'ERROR', 'HANDLER', 'PARKED_AT', 'REPLAYED_AT'],
      rows.map((row) => [
        row.id,
        `${row.topic}[${row.partition}]@${row.offset}`,
        row.rawKey === null ? '-' : oneLine(formatBytes(row.rawKey), 60),
        String(row.value.length),
        oneLine(`${row.errorType}: ${row.errorMessage}`, 80),
        row.handler ?? '-',
        row.parkedAt.toISOString(),
        row.replayedAt?.toISOString() ?? '-',
      ]),
    );
    this.out.line();
    this.out.line(`${rows.length} parked dead letter${rows.length === 1 ? '' : 's'} shown.`);
  }

  @Option({ flags: '--limit <n>', description: `rows to list (default ${DEFAULT_LIMIT})` })
  parseLimit(value: string): string {
    return value;
  }

  @Option({ flags: '--all', description: 'include rows already replayed' })
  parseAll(): boolean {
    return true;
  }
}
