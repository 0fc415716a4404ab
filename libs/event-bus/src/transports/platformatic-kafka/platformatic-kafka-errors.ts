/** Error codes of @platformatic/kafka that say a retry cannot help. */
const FINAL_CODES = new Set([
  'PLT_KFK_AUTHENTICATION',
  'PLT_KFK_UNSUPPORTED',
  'PLT_KFK_UNSUPPORTED_API',
  'PLT_KFK_UNSUPPORTED_COMPRESSION',
  'PLT_KFK_UNSUPPORTED_FORMAT',
  'PLT_KFK_USER',
]);

interface PlatformaticError {
  code?: unknown;
  canRetry?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/**
 * Whether trying again later can succeed, after what @platformatic/kafka reports: a refused
 * record (a protocol error the broker marks final, such as MESSAGE_TOO_LARGE), bad input or
 * failed authentication cannot; an unreachable or slow broker, a leader election, or an error
 * that is not the client's, can. Every error of a multiple one must be retriable.
 */
export function isRetriable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 8) return true;
  const e = error as PlatformaticError;
  if (typeof e.code !== 'string' || !e.code.startsWith('PLT_KFK_')) return true;
  if (FINAL_CODES.has(e.code)) return false;
  if (e.code === 'PLT_KFK_PROTOCOL') return e.canRetry !== false;
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    return e.errors.every((inner: unknown) => isRetriable(inner, depth + 1));
  }
  return true;
}

/** The broker's name of a protocol error anywhere in `error` (`OFFSET_OUT_OF_RANGE`), if any. */
export function hasProtocolError(error: unknown, apiId: string): boolean {
  const found = (error as { findBy?: (property: string, value: unknown) => unknown } | null)
    ?.findBy;
  return typeof found === 'function' && found.call(error, 'apiId', apiId) !== null;
}
