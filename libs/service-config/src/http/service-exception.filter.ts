import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { isUnavailable } from './unavailable';

/** How long a client should wait before retrying after a 503; about one connect timeout. */
export const RETRY_AFTER_SECONDS = 5;

/** The body of a 503, in Nest's error shape. */
export interface UnavailableResponse {
  statusCode: 503;
  error: 'Service Unavailable';
  message: string;
}

/**
 * Every service's last word on an error: a dependency that is down or too slow (see
 * `isUnavailable`) answers 503 with a reason and `Retry-After`; everything else keeps Nest's
 * behaviour (an `HttpException` as thrown, anything else a logged 500 with a generic message).
 */
@Catch()
export class ServiceExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger(ServiceExceptionFilter.name);

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    if (exception instanceof HttpException || !isUnavailable(exception)) {
      return super.catch(exception, host);
    }
    // The driver's words name hosts and ports: for the operator's log, not for the client.
    this.logger.warn(`Answered 503, the database is unavailable: ${describe(exception)}`);
    const adapter = this.applicationRef ?? this.httpAdapterHost!.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    if (adapter.isHeadersSent(response)) return adapter.end(response);
    adapter.setHeader(response, 'Retry-After', String(RETRY_AFTER_SECONDS));
    const body: UnavailableResponse = {
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: 'Service Unavailable',
      message: `The database is unavailable or did not answer in time; retry in ${RETRY_AFTER_SECONDS} s.`,
    };
    adapter.reply(response, body, HttpStatus.SERVICE_UNAVAILABLE);
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const driver = (error as { driverError?: unknown }).driverError;
  const code =
    (driver as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  return `${error.name}: ${error.message}${typeof code === 'string' ? ` (${code})` : ''}`;
}
