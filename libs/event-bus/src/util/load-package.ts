import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { missingPackage } from '../event-bus.messages';

/**
 * Loads an optional peer dependency when a feature asks for it, after Nest's own `loadPackage`
 * (@nestjs/common/utils/load-package.util): the bus imports kafkajs, prom-client and the rest only
 * on this path, so an application without them starts. Unlike Nest's, it throws (the
 * application's startup fails with the reason) instead of exiting the process.
 *
 * @param name the package, as in `npm install <name>`
 * @param feature the option or class that needs it, as the user wrote it: `transport.type "kafka"`
 * @param loader loads what needs the package (a module of ours that imports it), if not the
 *   package itself
 * @throws EventBusConfigurationError naming both when the package is not installed; an error the
 *   package itself throws while loading passes through unchanged
 */
export function loadPackage<T>(
  name: string,
  feature: string,
  loader: () => T = () => requirePackage<T>(name),
): T {
  try {
    return loader();
  } catch (error) {
    if (!isNotFound(error, name)) throw error;
    throw new EventBusConfigurationError(missingPackage(name, feature), { cause: error });
  }
}

/** The package when it is installed, `undefined` when not: for features that are simply off. */
export function loadOptionalPackage<T>(name: string): T | undefined {
  try {
    return requirePackage<T>(name);
  } catch (error) {
    if (isNotFound(error, name)) return undefined;
    throw error;
  }
}

/** Whether the package resolves, without loading it. */
export function isPackageInstalled(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch (error) {
    if (isNotFound(error, name)) return false;
    throw error;
  }
}

function requirePackage<T>(name: string): T {
  // The one place the bus requires a package by a computed name: this is the lazy loading.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(name) as T;
}

/** Not found is the package itself missing; a missing dependency of it is a broken install. */
function isNotFound(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${name}'`)
  );
}
