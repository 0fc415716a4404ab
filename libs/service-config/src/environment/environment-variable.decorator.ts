import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationArguments } from 'class-validator';

/** How one environment variable is read from its text. */
export interface VariableRule<T> {
  /** The value the text stands for, or undefined when it stands for none. */
  parse(text: string): T | undefined;
  /** Completes "<NAME> …" in the startup error: `must be an integer from 1 to 1000`. */
  expects: string;
  /** How the refused text is quoted in the error; the text itself unless it may hold a secret. */
  show?(text: string): string;
}

/** Text that its rule refused; kept so the error can quote what the operator wrote. */
class Refused {
  constructor(readonly text: string) {}
}

/**
 * Reads the property from its variable's text with `rule` (class-transformer) and fails
 * validation (class-validator) with `<NAME> <expects>, got "<text>".` when the text stands for no
 * value. A property absent from the environment keeps its initializer, the schema's default.
 */
export function EnvironmentVariable<T>(rule: VariableRule<T>): PropertyDecorator {
  const read = Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    return rule.parse(value) ?? new Refused(value);
  });
  const check = ValidateBy({
    name: 'environmentVariable',
    validator: {
      validate: (value: unknown) => value !== undefined && !(value instanceof Refused),
      defaultMessage: ({ property, value }: ValidationArguments) => {
        if (!(value instanceof Refused)) return `${property} is not set; it ${rule.expects}.`;
        const shown = rule.show ? rule.show(value.text) : `"${value.text}"`;
        return `${property} ${rule.expects}, got ${shown}.`;
      },
    },
  });
  return (target, key) => {
    read(target, key);
    check(target, key);
  };
}

/**
 * The property, a number, must exceed the number in `other` (both valid); `why` ends the error.
 * Cross-variable rules live here rather than in a parser, so they are listed with the others.
 */
export function IsAboveVariable(other: string, why: string): PropertyDecorator {
  return ValidateBy({
    name: 'isAboveVariable',
    constraints: [other],
    validator: {
      validate: (value: unknown, { object }: ValidationArguments) => {
        const bound = (object as Record<string, unknown>)[other];
        return typeof value !== 'number' || typeof bound !== 'number' || value > bound;
      },
      defaultMessage: ({ property, value, object }: ValidationArguments) =>
        `${property} (${String(value)}) must be above ${other} ` +
        `(${String((object as Record<string, unknown>)[other])}): ${why}`,
    },
  });
}

/**
 * When the property has the value `when`, the variable `other` must be set too; `why` ends the
 * error. On the property that decides (an optional variable is not validated when unset).
 */
export function NeedsVariableWhen(when: string, other: string, why: string): PropertyDecorator {
  return ValidateBy({
    name: 'needsVariableWhen',
    constraints: [when, other],
    validator: {
      validate: (value: unknown, { object }: ValidationArguments) =>
        value !== when || (object as Record<string, unknown>)[other] !== undefined,
      defaultMessage: ({ property }: ValidationArguments) =>
        `${property} is ${when}, so ${other} must be set: ${why}`,
    },
  });
}
