import {
  deadLetterAddress,
  DeadLetterReader,
  DeadLetterReplayService,
  ReplayDecision,
  ReplayTotals,
} from '@nestbus/event-bus/operations';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { CliError } from '../cli.errors';
import { CliEnvironment } from '../cli.environment';
import { CliDatabase } from '../infrastructure/cli-database';
import { CliTransport } from '../infrastructure/cli-transport';
import { CliOutput } from '../output/cli.output';
import { replayOperator } from './replay-operator';
import { formatBytes } from '../output/format';
import { collect } from './option.parsers';

interface DlqReplayOptions {
  execute?: boolean;
  by?: string;
  event?: string[];
}

@SubCommand({
  name: 'replay',
  arguments: '<topic>',
  argsDescription: { topic: 'an event topic, or its .dlq topic' },
  description:
    'Send dead letters again as new outbox rows of DATABASE_URL (a dry run unless --execute)',
})
export class DlqReplayCommand extends CommandRunner {
  constructor(
    private readonly bus: CliTransport,
    private readonly database: CliDatabase,
    private readonly environment: CliEnvironment,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run([topic]: string[], options: DlqReplayOptions): Promise<void> {
    const by = replayOperator(options.by);
    const execute = options.execute === true;
    const wanted = options.event ? new Set(options.event) : undefined;

    await this.bus.useReader(async (reader) => {
      const letters = new DeadLetterReader(reader);
      const dlq = await letters.resolveTopic(topic, await this.environment.topicPrefix());
      const broker = this.bus.lazySender();
      try {
        await this.database.use(async (session) => {
          const replay = session
            .get(DeadLetterReplayService)
            .start({ by, execute, send: (records) => broker.send(records) });
          const matched = new Set<string>();
          const topics = new Set<string>();
          const progress = this.out.progress('read');
          const result = await letters.read(
            dlq,
            async (batch) => {
              const chosen = wanted
                ? batch.filter((l) => l.eventId && wanted.has(l.eventId))
                : batch;
              for (const letter of chosen) if (letter.eventId) matched.add(letter.eventId);
              for (const decision of await replay.add(chosen)) {
                if (decision.outcome !== 'skip') topics.add(decision.letter.originalTopic);
                this.out.line(describe(decision, execute));
              }
            },
            { onProgress: (read, total) => progress.update(read, total) },
          );
          progress.finish(result.read, result.total);

          this.summarize(replay.totals, {
            dlq,
            by,
            execute,
            filtered: wanted !== undefined,
            location: session.location,
            into: [...topics].sort().join(', '),
            destination: await this.bus.destination(),
          });
          const missing = wanted ? [...wanted].filter((id) => !matched.has(id)) : [];
          if (missing.length > 0) {
            throw new CliError(`Not in ${dlq}: ${missing.join(', ')}.`);
          }
        });
      } finally {
        await broker.close();
      }
    });
  }

  private summarize(
    totals: ReplayTotals,
    run: {
      dlq: string;
      by: string;
      execute: boolean;
      filtered: boolean;
      location: string;
      into: string;
      destination: string;
    },
  ): void {
    const replayed = totals.replay + totals.requeue + totals.send;
    const considered = replayed + totals.skip;
    const skipped = totals.skip > 0 ? `; ${totals.skip} skipped` : '';
    const direct =
      totals.send > 0
        ? `; ${totals.send} ${run.execute ? 'sent' : 'to send'} straight to ${run.destination}, byte for byte ` +
          '(their key or headers are bytes the outbox cannot hold)'
        : '';
    if (considered === 0) {
      this.out.line(
        run.filtered
          ? `No dead letter in ${run.dlq} has those event ids.`
          : `No dead letters in ${run.dlq}.`,
      );
      return;
    }
    this.out.line();
    if (replayed === 0) {
      this.out.line(
        `${run.execute ? 'Nothing' : 'Dry run: nothing'} to replay; all ${considered} dead letters skipped.`,
      );
    } else if (!run.execute) {
      this.out.line(
        `Dry run: would replay ${replayed} of ${considered} dead letters in ${run.dlq} to ` +
          `${run.into}${skipped}${direct}. Nothing was written: add --execute to write them to the ` +
          `outbox of ${run.location}.`,
      );
    } else {
      this.out.line(
        `Replayed ${replayed} of ${considered} dead letters from ${run.dlq} as "${run.by}" into ` +
          `the outbox of ${run.location}${skipped}${direct}. The relay of the service that owns this ` +
          `database sends them to ${run.into}.`,
      );
    }
  }

  @Option({ flags: '--execute', description: 'write the outbox rows (default: a dry run)' })
  parseExecute(): boolean {
    return true;
  }

  @Option({
    flags: '--by <name>',
    description: 'who replays, recorded as x-replayed-by (default: your user name)',
  })
  parseBy(value: string): string {
    return value;
  }

  @Option({
    flags: '--event <id...>',
    description: 'replay only these event ids (repeatable; put <topic> first)',
  })
  parseEvent(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }
}

function describe(decision: ReplayDecision, execute: boolean): string {
  const { letter, outcome, reason } = decision;
  const verb = {
    replay: execute ? 'replayed' : 'would replay',
    requeue: execute ? 'requeued' : 'would requeue',
    send: execute ? 'sent' : 'would send',
    skip: 'skipped',
  }[outcome];
  const what = [
    verb.padEnd(13),
    deadLetterAddress(letter),
    letter.eventId ?? '-',
    letter.type ?? '-',
    `key=${letter.rawKey === null ? '-' : formatBytes(letter.rawKey)}`,
  ];
  return `${what.join('  ')}${reason ? `  (${reason})` : ''}`;
}
