import { OutboxInspector, OutboxStore } from '@nestbus/event-bus/operations';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { CliError, UsageError } from '../cli.errors';
import { CliDatabase } from '../infrastructure/cli-database';
import { CliOutput } from '../output/cli.output';
import { collect } from './option.parsers';

interface OutboxRetryOptions {
  id?: string[];
  all?: boolean;
}

@SubCommand({
  name: 'retry',
  description: 'Put failed rows back in line (attempts reset); name them with --id, or --all',
})
export class OutboxRetryCommand extends CommandRunner {
  constructor(
    private readonly database: CliDatabase,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run(_params: string[], options: OutboxRetryOptions): Promise<void> {
    const ids = options.id ? [...new Set(options.id)] : undefined;
    if (!ids && !options.all) throw new UsageError('Say which rows: --id <id>... or --all.');
    if (ids && options.all) throw new UsageError('Give --id or --all, not both.');

    await this.database.use(async (session) => {
      const store = session.get(OutboxStore);
      if (!ids) {
        this.report(await store.retryFailed());
        return;
      }
      const statuses = await session.get(OutboxInspector).statuses(ids);
      const failed = ids.filter((id) => statuses.get(id) === 'failed');
      this.report(failed.length > 0 ? await store.retryFailed(failed) : 0);
      const others = ids.filter((id) => statuses.get(id) !== 'failed');
      if (others.length > 0) {
        throw new CliError(
          `Not reset, not failed rows: ${others
            .map((id) => `${id} (${statuses.get(id) ?? 'not in the outbox'})`)
            .join(', ')}.`,
        );
      }
    });
  }

  private report(count: number): void {
    this.out.line(
      count === 0
        ? 'No failed rows to reset.'
        : `Reset ${count} failed row${count === 1 ? '' : 's'} to pending; the relay sends ${count === 1 ? 'it' : 'them'} again.`,
    );
  }

  @Option({ flags: '--id <id...>', description: 'ids of failed rows (repeatable)' })
  parseId(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }

  @Option({ flags: '--all', description: 'every failed row' })
  parseAll(): boolean {
    return true;
  }
}
