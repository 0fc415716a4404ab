import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { invalidOption, missingPackage, unknownOptions } from '../event-bus.messages';
import { isPackageInstalled } from './load-package';
import type { BackoffOptions } from './backoff';
import { checkOptionKeys, type OptionSection } from './option-keys';

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * Checks one option value at a time and fails with an error that names the option (its full
 * path, such as `consumer.retry.maxRetries`), what it takes and what it got. The core options
 * and each transport's own options share it, so every error reads the same.
 */
export class OptionChecker {
  /** Unknown keys anywhere under `spec`, all in one error: a typo would otherwise be ignored. */
  keys(options: object, spec: OptionSection): void {
    const { unknown, notObjects } = checkOptionKeys(options, spec);
    if (notObjects.length > 0)
      throw this.error(notObjects[0].path, 'an object', notObjects[0].value);
    if (unknown.length > 0) throw new EventBusConfigurationError(unknownOptions(unknown));
  }

  name(path: string, value: unknown): string {
    if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
      throw this.error(
        path,
        'a name of letters, digits, ".", "_" or "-" (1 to 200 characters)',
        value,
      );
    }
    return value;
  }

  optionalString(path: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0)
      throw this.error(path, 'a non-empty string', value);
    return value;
  }

  bool(path: string, value: unknown): boolean {
    if (typeof value !== 'boolean') throw this.error(path, 'true or false', value);
    return value;
  }

  int(path: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.error(path, `an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  /** 0 (off) or an interval from `min` to `max`. */
  intervalOrOff(path: string, value: unknown, min: number, max: number): number {
    if (value === 0) return 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.error(path, `0 (off) or an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  number(path: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw this.error(path, `a number from ${min} to ${max}`, value);
    }
    return value;
  }

  fn<T>(path: string, value: T): T {
    if (typeof value !== 'function') throw this.error(path, 'a function', value);
    return value;
  }

  backoff(path: string, value: BackoffOptions): BackoffOptions {
    const initialMs = this.int(`${path}.initialMs`, value.initialMs, 0, DAY);
    const maxMs = this.int(`${path}.maxMs`, value.maxMs, 0, DAY);
    if (maxMs < initialMs)
      throw this.error(`${path}.maxMs`, `at least ${path}.initialMs (${initialMs})`, maxMs);
    return {
      initialMs,
      maxMs,
      multiplier: this.number(`${path}.multiplier`, value.multiplier, 1, 100),
      jitter: this.number(`${path}.jitter`, value.jitter, 0, 1),
    };
  }

  /**
   * A feature that needs an optional peer: by default on when the package is installed and off
   * when not (its provider logs a debug line); asked for explicitly without the package, a
   * startup error naming it.
   */
  peerFeature(path: string, value: unknown, byDefault: boolean, name: string): boolean {
    if (value === undefined) return byDefault && isPackageInstalled(name);
    const enabled = this.bool(path, value);
    if (enabled && !isPackageInstalled(name)) {
      throw new EventBusConfigurationError(missingPackage(name, `${path}: true`));
    }
    return enabled;
  }

  error(path: string, expected: string, got: unknown): EventBusConfigurationError {
    return new EventBusConfigurationError(invalidOption(path, expected, got));
  }
}
