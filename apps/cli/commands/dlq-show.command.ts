import { DeadLetterReader } from '@nestbus/event-bus/operations';
import { CommandRunner, SubCommand } from 'nest-commander';
import { CliError } from '../cli.errors';
import { CliEnvironment } from '../cli.environment';
import { CliTransport } from '../infrastructure/cli-transport';
import { CliOutput } from '../output/cli.output';
import { formatBytes, formatPayload } from '../output/format';
import { parseNonNegative } from './option.parsers';

@SubCommand({
  name: 'show',
  arguments: '<topic> <partition> <offset>',
  argsDescription: {
    topic: 'an event topic, or its .dlq topic',
    partition: 'partition of the dead letter (see dlq list)',
    offset: 'offset of the dead letter (see dlq list)',
  },
  description: 'Print one dead letter in full: headers and payload',
})
export class DlqShowCommand extends CommandRunner {
  constructor(
    private readonly bus: CliTransport,
    private readonly environment: CliEnvironment,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run([topic, partitionText, offsetText]: string[]): Promise<void> {
    const partition = Number(parseNonNegative('<partition>', partitionText));
    const offset = parseNonNegative('<offset>', offsetText);
    await this.bus.useReader(async (reader) => {
      const letters = new DeadLetterReader(reader);
      const dlq = await letters.resolveTopic(topic, await this.environment.topicPrefix());
      const letter = await letters.find(dlq, partition, offset);
      if (!letter) {
        throw new CliError(`${dlq} has no record at partition ${partition}, offset ${offset}.`);
      }
      this.out.pairs([
        ['topic', letter.topic],
        ['partition', String(letter.partition)],
        ['offset', letter.offset],
        ['timestamp', letter.timestamp.toISOString()],
        ['key', letter.rawKey === null ? '-' : formatBytes(letter.rawKey)],
      ]);
      this.out.line();
      this.out.line('headers');
      // From the bytes: a repeated header shows each value, in order.
      const names = Object.keys(letter.rawHeaders).sort();
      const width = Math.max(0, ...names.map((n) => n.length));
      for (const name of names) {
        for (const value of letter.rawHeaders[name]) {
          this.out.line(`  ${name.padEnd(width)}  ${formatBytes(value)}`);
        }
      }
      this.out.line();
      this.out.line('payload');
      this.out.line(formatPayload(letter.value));
    });
  }
}
