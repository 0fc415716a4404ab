import { ProgressReporter } from './progress.reporter';

describe('ProgressReporter', () => {
  let now: number;
  let lines: string[];
  let progress: ProgressReporter;

  beforeEach(() => {
    now = 0;
    lines = [];
    progress = new ProgressReporter(
      'read',
      (line) => lines.push(line),
      () => now,
    );
  });

  it('prints a line every 500 records', () => {
    for (let done = 100; done <= 1500; done += 100) progress.update(done, 4000);
    expect(lines).toEqual(['read 500/4000\n', 'read 1000/4000\n', 'read 1500/4000\n']);
  });

  it('prints a line every second while records trickle in', () => {
    progress.update(1, 10);
    now = 999;
    progress.update(2, 10);
    now = 1000;
    progress.update(3, 10);
    now = 2500;
    progress.update(4, 10);
    expect(lines).toEqual(['read 3/10\n', 'read 4/10\n']);
  });

  it('ends with the final count once progress was shown, and stays quiet for short work', () => {
    progress.update(20, 20);
    progress.finish(20, 20);
    expect(lines).toEqual([]);

    progress.update(600, 700);
    progress.finish(700, 700);
    expect(lines).toEqual(['read 600/700\n', 'read 700/700\n']);
  });
});
