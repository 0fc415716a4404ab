import { DeadLetterReader } from '@nestbus/event-bus/operations';
import type { DeadLetter } from '@nestbus/event-bus/operations';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { CliEnvironment } from '../cli.environment';
import { CliTransport } from '../infrastructure/cli-transport';
import { CliOutput } from '../output/cli.output';
import { oneLine } from '../output/format';
import { parseCount } from './option.parsers';

interface DlqListOptions {
  limit?: string;
}

const DEFAULT_LIMIT = 100;

@SubCommand({
  name: 'list',
  arguments: '<topic>',
  argsDescription: { topic: 'an event topic, or its .dlq topic' },
  description: 'List dead letters from the beginning, with why each failed (no payloads)',
})
export class DlqListCommand extends CommandRunner {
  constructor(
    private readonly bus: CliTransport,
    private readonly environment: CliEnvironment,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run([topic]: string[], options: DlqListOptions): Promise<void> {
    const limit = parseCount('--limit', options.limit, DEFAULT_LIMIT);
    await this.bus.useReader(async (reader) => {
      const letters = new DeadLetterReader(reader);
      const dlq = await letters.resolveTopic(topic, await this.environment.topicPrefix());
      const shown: DeadLetter[] = [];
      const progress = this.out.progress('read');
      const result = await letters.read(
        dlq,
        (batch) => {
          shown.push(...batch.slice(0, limit - shown.length));
          return shown.length < limit;
        },
        { onProgress: (read, total) => progress.update(read, total) },
      );
      progress.finish(result.read, result.total);
      if (result.total === 0) {
        this.out.line(`No dead letters in ${dlq}.`);
        return;
      }
      shown.sort((a, b) => a.partition - b.partition || compareOffsets(a.offset, b.offset));
      this.out.table(
        [
          'PARTITION',
          'OFFSET',
          'EVENT_ID',
          'TYPE',
          'ERROR_TYPE',
          'HANDLER',
          'ATTEMPTS',
          'ERROR_MESSAGE',
        ],
        shown.map((l) => [
          String(l.partition),
          l.offset,
          l.eventId ?? '-',
          l.type ?? '-',
          l.errorType ?? '-',
          l.handler ?? '-',
          l.attempts ?? '-',
          oneLine(l.errorMessage),
        ]),
      );
      this.out.line();
      this.out.line(
        shown.length < result.total
          ? `${result.total} dead letters in ${dlq}; showing ${shown.length} (--limit N for more).`
          : `${result.total} dead letter${result.total === 1 ? '' : 's'} in ${dlq}.`,
      );
    });
  }

  @Option({ flags: '--limit <n>', description: `letters to list (default ${DEFAULT_LIMIT})` })
  parseLimit(value: string): string {
    return value;
  }
}

function compareOffsets(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
