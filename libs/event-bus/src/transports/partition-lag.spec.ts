import { lagBehind } from './partition-lag';

describe('lagBehind', () => {
  it('counts from the committed offset to the end', () => {
    expect(lagBehind(120n, 0n, 100n)).toBe(20);
    expect(lagBehind(120n, 0n, 120n)).toBe(0);
  });

  it('counts from the log start when nothing was committed, or only records retention deleted', () => {
    expect(lagBehind(120n, 30n, undefined)).toBe(90);
    expect(lagBehind(120n, 30n, 10n)).toBe(90);
  });
});
