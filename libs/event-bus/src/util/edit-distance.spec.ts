import { closest, editDistance } from './edit-distance';

describe('editDistance', () => {
  it.each([
    ['outbox', 'outbox', 0],
    ['outbx', 'outbox', 1],
    ['outboxx', 'outbox', 1],
    ['oubtox', 'outbox', 1],
    ['sampelRate', 'sampleRate', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['abc', '', 3],
  ])('from "%s" to "%s" is %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe('closest', () => {
  const keys = ['outbox', 'consumer', 'topics', 'inbox', 'codec', 'health', 'tracing', 'metrics'];

  it('finds the key a slip away, ignoring case', () => {
    expect(closest('outbx', keys)).toBe('outbox');
    expect(closest('Consumer', keys)).toBe('consumer');
    expect(closest('tarcing', keys)).toBe('tracing');
  });

  it('prefers the nearest of several candidates', () => {
    expect(closest('inbx', ['index', 'inbox'])).toBe('inbox');
  });

  it('offers nothing when no key is close', () => {
    expect(closest('banana', keys)).toBeUndefined();
    expect(closest('db', keys)).toBeUndefined();
  });

  it('allows about one slip per three characters', () => {
    expect(closest('retentin', ['retentionMs'])).toBe('retentionMs');
    expect(closest('tpc', ['topics'])).toBeUndefined();
  });
});
