import { Injectable } from '@nestjs/common';
import { formatTable } from './format';
import { ProgressReporter } from './progress.reporter';

/** Where commands write: answers on stdout, progress on stderr. */
@Injectable()
export class CliOutput {
  line(text = ''): void {
    process.stdout.write(`${text}\n`);
  }

  table(header: string[], rows: string[][]): void {
    for (const line of formatTable(header, rows)) this.line(line);
  }

  /** `name  value` pairs, the names aligned. */
  pairs(pairs: Array<[string, string]>): void {
    const width = Math.max(...pairs.map(([name]) => name.length));
    for (const [name, value] of pairs) this.line(`${name.padEnd(width)}  ${value}`);
  }

  progress(label: string): ProgressReporter {
    return new ProgressReporter(label);
  }
}
