import { OutboxInspector } from '@nestbus/event-bus/operations';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { CliDatabase } from '../infrastructure/cli-database';
import { CliOutput } from '../output/cli.output';
import { oneLine } from '../output/format';
import { parseCount } from './option.parsers';

interface OutboxFailedOptions {
  limit?: string;
  showPayload?: boolean;
}

const DEFAULT_LIMIT = 50;

@SubCommand({
  name: 'failed',
  description: 'List failed rows, oldest first (payloads only with --show-payload)',
})
export class OutboxFailedCommand extends CommandRunner {
  constructor(
    private readonly database: CliDatabase,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run(_params: string[], options: OutboxFailedOptions): Promise<void> {
    const limit = parseCount('--limit', options.limit, DEFAULT_LIMIT);
    const page = await this.database.use((session) => session.get(OutboxInspector).failed(limit));
    if (page.total === 0) {
      this.out.line('No failed rows.');
      return;
    }
    this.out.table(
      ['ID', 'TYPE', 'KEY', 'ATTEMPTS', 'CREATED_AT', 'LAST_ERROR'],
      page.rows.map((row) => [
        row.id,
        row.type,
        row.key ?? '-',
        String(row.attempts),
        row.createdAt.toISOString(),
        oneLine(row.lastError),
      ]),
    );
    if (options.showPayload) {
      this.out.line();
      for (const row of page.rows) this.out.line(`payload ${row.id}  ${row.payload}`);
    }
    this.out.line();
    this.out.line(
      page.rows.length < page.total
        ? `${page.total} failed rows; showing the oldest ${page.rows.length} (--limit N for more).`
        : `${page.total} failed row${page.total === 1 ? '' : 's'}.`,
    );
  }

  @Option({ flags: '--limit <n>', description: `rows to list (default ${DEFAULT_LIMIT})` })
  parseLimit(value: string): string {
    return value;
  }

  @Option({ flags: '--show-payload', description: 'also print each row’s payload' })
  parseShowPayload(): boolean {
    return true;
  }
}
