import { OutboxInspector } from '@nestbus/event-bus/operations';
import { CommandRunner, SubCommand } from 'nest-commander';
import { CliDatabase } from '../infrastructure/cli-database';
import { CliOutput } from '../output/cli.output';
import { formatDuration } from '../output/format';

@SubCommand({
  name: 'status',
  description: 'Rows per status (pending, published, failed) and the age of the oldest pending row',
})
export class OutboxStatusCommand extends CommandRunner {
  constructor(
    private readonly database: CliDatabase,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run(): Promise<void> {
    const report = await this.database.use((session) => session.get(OutboxInspector).status());
    const oldest = report.oldestPendingAt;
    this.out.pairs([
      ['pending', String(report.pending)],
      ['published', String(report.published)],
      ['failed', String(report.failed)],
      [
        'oldest pending',
        oldest
          ? `${oldest.toISOString()} (${formatDuration(Date.now() - oldest.getTime())} ago)`
          : '-',
      ],
    ]);
  }
}
