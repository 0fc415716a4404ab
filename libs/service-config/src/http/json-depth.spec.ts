import { exceedsDepth } from './json-depth';

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('exceedsDepth', () => {
  it('counts each object or array as one level', () => {
    expect(exceedsDepth(1, 0)).toBe(false);
    expect(exceedsDepth({}, 0)).toBe(true);
    expect(exceedsDepth({ a: [1] }, 2)).toBe(false);
    expect(exceedsDepth({ a: [1] }, 1)).toBe(true);
  });

  it('accepts exactly the bound and refuses one more', () => {
    expect(exceedsDepth(nested(32), 32)).toBe(false);
    expect(exceedsDepth(nested(33), 32)).toBe(true);
  });

  it('finds the deep branch beside shallow ones', () => {
    expect(exceedsDepth({ x: 1, y: [1, 2], z: { deep: nested(40) } }, 32)).toBe(true);
  });

  it('refuses a 100,000-level value without overflowing the stack', () => {
    expect(exceedsDepth(nested(100_000), 32)).toBe(true);
  });
});
