import { SubCommand } from 'nest-commander';
import { DlqParkedListCommand } from './dlq-parked-list.command';
import { DlqParkedReplayCommand } from './dlq-parked-replay.command';
import { ParentCommand } from './parent.command';

@SubCommand({
  name: 'parked',
  description:
    'Dead letters the broker refused, kept whole in event_dead_letter of DATABASE_URL: list, replay',
  subCommands: [DlqParkedListCommand, DlqParkedReplayCommand],
})
export class DlqParkedCommand extends ParentCommand {}
