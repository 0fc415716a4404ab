/** How deep HTTP JSON bodies may nest: far beyond any DTO here, far below the stack's limit. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether `value` nests objects and arrays deeper than `maxDepth` (a scalar is depth 0, `{}` and
 * `[1]` are 1). Iterative, and it stops at the first node past the bound, so a hostile
 * 10,000-level body costs 33 steps, not a stack overflow.
 */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Object.values(node)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}
