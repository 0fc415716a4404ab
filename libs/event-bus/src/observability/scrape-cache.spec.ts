import { ScrapeCache } from './scrape-cache';

describe('ScrapeCache', () => {
  it('runs one read at a time and shares its answer until the TTL after it settled', async () => {
    let reads = 0;
    let release!: (value: number) => void;
    const cache = new ScrapeCache(
      () => {
        reads++;
        return new Promise<number>((resolve) => (release = resolve));
      },
      50,
      1000,
    );
    const first = cache.get();
    const second = cache.get();
    expect(reads).toBe(1);
    release(7);
    await expect(Promise.all([first, second])).resolves.toEqual([7, 7]);
    await expect(cache.get()).resolves.toBe(7);
    expect(reads).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const third = cache.get();
    expect(reads).toBe(2);
    release(8);
    await expect(third).resolves.toBe(8);
  });

  it('gives up waiting after the timeout without starting another read while one hangs', async () => {
    let reads = 0;
    const cache = new ScrapeCache(
      () => {
        reads++;
        return new Promise<number>(() => undefined);
      },
      0,
      20,
    );
    await expect(cache.get()).rejects.toThrow('no answer in time');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await expect(cache.get()).rejects.toThrow('no answer in time');
    expect(reads).toBe(1);
  });
});
