import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sjson from 'secure-json-parse';
import { UsageError } from '../cli.errors';
import type { SchemaSnapshot } from './schema-check';

/** Where libs/contracts keeps the recorded schemas and the wire fixtures, from the repo root. */
export const SCHEMAS_DIR = join('libs', 'contracts', 'schemas');
export const FIXTURES_DIR = join('libs', 'contracts', 'fixtures');

/** `<type>.v<version>.json`: the name of a snapshot and of a fixture. */
export const versionFileName = (type: string, version: number) => `${type}.v${version}.json`;
const VERSION_FILE = /^(.+)\.v([1-9][0-9]{0,8})\.json$/;

/** The recorded schemas in `dir`; a file that is not one fails, naming it. */
export function readSnapshots(dir: string): SchemaSnapshot[] {
  return versionFiles(dir).map(({ path, type, version }) => {
    const snapshot = parse(path) as Partial<SchemaSnapshot>;
    if (snapshot.type !== type || snapshot.version !== version || !snapshot.schema) {
      throw new UsageError(
        `${path} is not the schema of ${type} v${version}: it needs "type": "${type}", ` +
          `"version": ${version} and a "schema" (written by "schema record").`,
      );
    }
    return snapshot as SchemaSnapshot;
  });
}

/** The versions `dir` holds a wire fixture of. */
export function readFixtureVersions(dir: string): Array<{ type: string; version: number }> {
  return versionFiles(dir).map(({ type, version }) => ({ type, version }));
}

function versionFiles(dir: string): Array<{ path: string; type: string; version: number }> {
  const absolute = resolve(dir);
  if (!existsSync(absolute)) {
    throw new UsageError(`${dir} does not exist: run the command from the repository's root.`);
  }
  return readdirSync(absolute)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const match = VERSION_FILE.exec(name);
      if (!match)
        throw new UsageError(`${join(dir, name)}: expected a name like user.registered.v1.json.`);
      return { path: join(dir, name), type: match[1], version: Number(match[2]) };
    });
}

function parse(path: string): unknown {
  try {
    return sjson.parse(readFileSync(path, 'utf8'), undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    });
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}
