import { Command } from 'nest-commander';
import { ParentCommand } from './parent.command';
import { SchemaCheckCommand } from './schema-check.command';
import { SchemaRecordCommand } from './schema-record.command';

@Command({
  name: 'schema',
  description: 'Check the event classes of libs/contracts against every released version',
  subCommands: [SchemaCheckCommand, SchemaRecordCommand],
})
export class SchemaCommand extends ParentCommand {}
