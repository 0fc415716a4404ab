/** Produces `total` events as fast as `producers` concurrent loops can. */
export async function saturate(
  total: number,
  producers: number,
  produce: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < total) await produce(next++);
    }),
  );
}

/**
 * Offers `total` events at `perSecond`, on schedule (an event due is started even if earlier
 * ones are still running, up to `producers` in flight), so latency is measured at a fixed load
 * rather than at whatever pace the system sets.
 */
export async function atRate(
  total: number,
  perSecond: number,
  producers: number,
  produce: (i: number) => Promise<void>,
): Promise<void> {
  const start = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= producers) await Promise.race(inFlight);
    const task: Promise<void> = produce(i).finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  await Promise.all(inFlight);
}

/** Resolves once `probe()` reaches `target`, or rejects after `timeoutMs`. */
export async function waitFor(
  probe: () => number,
  target: number,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (probe() < target) {
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}: ${probe()} of ${target}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
