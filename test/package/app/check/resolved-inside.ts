import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';

/** The app's folder; the compiled checks run from two levels below it (`dist/check`). */
export const APP_ROOT = realpathSync(resolve(__dirname, '..', '..'));

/**
 * Fails unless every loaded module and every named package resolves inside the app's folder:
 * a path into the repository would mean the package only works next to its sources.
 * Returns how many loaded modules were checked.
 */
export function assertResolvedInside(packages: string[], mustBeLoaded: string[] = []): number {
  const inside = (path: string) => realpathSync(path).startsWith(APP_ROOT + sep);
  const loaded = Object.keys(require.cache);
  const outside = loaded.filter((path) => !inside(path));
  for (const name of packages) {
    const path = require.resolve(name);
    if (!inside(path)) outside.push(`${name} resolves to ${path}`);
  }
  if (outside.length > 0) {
    const shown = outside.slice(0, 20).join('\n  ');
    const more = outside.length > 20 ? `\n  … and ${outside.length - 20} more` : '';
    throw new Error(`resolved outside ${APP_ROOT}:\n  ${shown}${more}`);
  }
  const missing = mustBeLoaded.filter(
    (fragment) =>
      !loaded.some((path) => path.includes(`${sep}node_modules${sep}${fragment}${sep}`)),
  );
  if (missing.length > 0)
    throw new Error(`expected these packages to be loaded: ${missing.join(', ')}`);
  return loaded.length;
}
