const EVERY_RECORDS = 500;
const EVERY_MS = 1000;

/**
 * Progress of a long operation on stderr (`read 1500/4000`): a line every 500 records or every
 * second, whichever comes first, so stdout stays the command's answer.
 */
export class ProgressReporter {
  private reported = 0;
  private reportedAt: number;
  private printed = false;

  constructor(
    private readonly label: string,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
    private readonly now: () => number = Date.now,
  ) {
    this.reportedAt = now();
  }

  update(done: number, total?: number): void {
    if (done - this.reported >= EVERY_RECORDS || this.now() - this.reportedAt >= EVERY_MS) {
      this.print(done, total);
    }
  }

  /** The last count, if progress was shown and has moved since. */
  finish(done: number, total?: number): void {
    if (this.printed && done !== this.reported) this.print(done, total);
  }

  private print(done: number, total?: number): void {
    this.write(`${this.label} ${done}${total === undefined ? '' : `/${total}`}\n`);
    this.reported = done;
    this.reportedAt = this.now();
    this.printed = true;
  }
}
