import { Client } from 'pg';

/** What pg's client-side `query_timeout` rejects with (it carries no code). */
export const QUERY_READ_TIMEOUT_MESSAGE = 'Query read timeout';

/**
 * A pg `Client` that closes its connection when a query hits the client-side `query_timeout`.
 *
 * pg gives up on the query but keeps the connection, still waiting for the lost answer: back in
 * the pool it looks idle, and every later query on it (the next `/health` ping, the `ROLLBACK`
 * after the failed statement) waits out the timeout again, even after the database is back. A
 * query that outlived `statement_timeout` without the server cancelling it means the server
 * cannot be reached, so the connection is worth nothing; `end()` destroys it at once when a
 * query is in flight, and the pool discards ended clients.
 */
export class BoundedPgClient extends Client {
  // pg's query() has many overloads; the arguments and the result pass through untouched.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last: unknown = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (error: unknown, ...rest: unknown[]) => {
        this.endIfUnanswered(error);
        return (last as (...a: unknown[]) => unknown)(error, ...rest);
      };
    }
    const result: unknown = (Client.prototype.query as (...a: unknown[]) => unknown).apply(
      this,
      args,
    );
    if (result instanceof Promise) {
      // A side branch: the caller still gets (and handles) the rejection itself.
      result.then(undefined, (error: unknown) => this.endIfUnanswered(error));
    }
    return result;
  }

  private endIfUnanswered(error: unknown): void {
    if (error instanceof Error && error.message === QUERY_READ_TIMEOUT_MESSAGE) {
      this.end().catch(() => undefined);
    }
  }
}
