import { Command, CommandRunner } from 'nest-commander';
import { EventTraceStore } from '@nestbus/event-bus/operations';
import { CliError } from '../cli.errors';
import { CliDatabase } from '../infrastructure/cli-database';
import { CliOutput } from '../output/cli.output';
import { oneLine } from '../output/format';

@Command({
  name: 'trace',
  arguments: '<eventId>',
  argsDescription: { eventId: 'the event id (ce_id)' },
  description: "The hops of one event recorded in DATABASE_URL's event_trace log, oldest first",
})
export class TraceCommand extends CommandRunner {
  constructor(
    private readonly database: CliDatabase,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run([eventId]: string[]): Promise<void> {
    await this.database.use(async (session) => {
      if (!(await session.hasTable('event_trace'))) {
        throw new CliError(
          `${session.location} has no event_trace table: the service runs a version of the ` +
            'event bus without the trace log, or has not started since it was upgraded.',
        );
      }
      const hops = await session.get(EventTraceStore).findByEvent(eventId);
      if (hops.length === 0) {
        throw new CliError(
          `No hops of event ${eventId} in ${session.location}. The trace log holds sampled ` +
            'events (EVENT_TRACE_SAMPLE_RATE) for a retention window, and each service writes ' +
            "its own hops to its own database: try the other services' databases too.",
        );
      }
      this.out.table(
        ['AT', 'STAGE', 'SERVICE', 'HANDLER', 'DURATION_MS', 'ERROR'],
        hops.map((hop) => [
          hop.at.toISOString(),
          hop.stage,
          hop.service,
          hop.handler ?? '-',
          hop.durationMs === null ? '-' : String(hop.durationMs),
          oneLine(hop.error),
        ]),
      );
    });
  }
}
