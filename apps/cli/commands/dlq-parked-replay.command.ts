import {
  DeadLetterReplayService,
  ParkedDeadLetterStore,
  parkedToDeadLetter,
  ParkedRecord,
} from '@nestbus/event-bus/operations';
import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { CliError, UsageError } from '../cli.errors';
import { CliDatabase } from '../infrastructure/cli-database';
import { CliTransport } from '../infrastructure/cli-transport';
import { CliOutput } from '../output/cli.output';
import { replayOperator } from './replay-operator';

interface ParkedReplayOptions {
  execute?: boolean;
  by?: string;
}

const MAX_IDS = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@SubCommand({
  name: 'replay',
  arguments: '<id...>',
  argsDescription: { id: 'event_dead_letter ids (from "dlq parked list")' },
  description:
    'Send parked dead letters again, like "dlq replay" does (a dry run unless --execute)',
})
export class DlqParkedReplayCommand extends CommandRunner {
  constructor(
    private readonly bus: CliTransport,
    private readonly database: CliDatabase,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run(ids: string[], options: ParkedReplayOptions): Promise<void> {
    if (ids.length > MAX_IDS) throw new UsageError(`At most ${MAX_IDS} ids at a time.`);
    const bad = ids.filter((id) => !UUID.test(id));
    if (bad.length > 0) throw new UsageError(`Not an event_dead_letter id: ${bad.join(', ')}.`);
    const by = replayOperator(options.by);
    const execute = options.execute === true;
    const broker = this.bus.lazySender();
    try {
      await this.database.use(async (session) => {
        const store = session.get(ParkedDeadLetterStore);
        const rows: ParkedRecord[] = [];
        const missing: string[] = [];
        for (const id of new Set(ids)) {
          const row = await store.get(id);
          if (row) rows.push(row);
          else missing.push(id);
        }
        if (missing.length > 0) {
          throw new CliError(
            `Not in event_dead_letter of ${session.location}: ${missing.join(', ')}.`,
          );
        }
        const replay = session
          .get(DeadLetterReplayService)
          .start({ by, execute, send: (records) => broker.send(records) });
        const decisions = await replay.add(rows.map(parkedToDeadLetter));
        for (const [i, decision] of decisions.entries()) {
          const row = rows[i];
          const done = decision.outcome !== 'skip';
          if (done && execute) await store.markReplayed(row.id);
          const verb = done ? (execute ? 'replayed' : 'would replay') : 'skipped';
          this.out.line(
            `${verb.padEnd(13)}  ${row.id}  ${row.topic}[${row.partition}]@${row.offset}` +
              `${decision.reason ? `  (${decision.reason})` : ''}`,
          );
        }
        const replayed = decisions.filter((d) => d.outcome !== 'skip').length;
        this.out.line();
        this.out.line(
          execute
            ? `Replayed ${replayed} of ${rows.length} parked dead letters as "${by}" into ${session.location}.`
            : `Dry run: would replay ${replayed} of ${rows.length} parked dead letters; add --execute to write them.`,
        );
      });
    } finally {
      await broker.close();
    }
  }

  @Option({ flags: '--execute', description: 'write them (default: a dry run)' })
  parseExecute(): boolean {
    return true;
  }

  @Option({
    flags: '--by <name>',
    description: 'who replays (x-replayed-by; default: your user name)',
  })
  parseBy(value: string): string {
    return value;
  }
}
