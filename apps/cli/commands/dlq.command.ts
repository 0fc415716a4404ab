import { Command } from 'nest-commander';
import { DlqListCommand } from './dlq-list.command';
import { DlqParkedCommand } from './dlq-parked.command';
import { DlqReplayCommand } from './dlq-replay.command';
import { DlqShowCommand } from './dlq-show.command';
import { ParentCommand } from './parent.command';

@Command({
  name: 'dlq',
  description: 'Read dead-letter topics (<topic>.dlq) and replay their events',
  subCommands: [DlqListCommand, DlqShowCommand, DlqReplayCommand, DlqParkedCommand],
})
export class DlqCommand extends ParentCommand {}
