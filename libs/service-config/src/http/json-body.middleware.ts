import {
  BadRequestException,
  Inject,
  Injectable,
  NestMiddleware,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sjson from 'secure-json-parse';
import { exceedsDepth, MAX_JSON_DEPTH } from './json-depth';

/** Largest HTTP body a service reads, in bytes (`HTTP_MAX_BODY_BYTES`). */
export const HTTP_MAX_BODY_BYTES = Symbol('HTTP_MAX_BODY_BYTES');

/** Express's request as far as body parsing goes. */
type Request = IncomingMessage & { body?: unknown };

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\s*(;|$)/i;
const SECURE_PARSE = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * Parses JSON request bodies as untrusted input, before any pipe sees them: bounded in size
 * (413), parsed by secure-json-parse (no `__proto__` or `constructor.prototype` keys, 400),
 * nested at most `MAX_JSON_DEPTH` levels (400: class-validator and class-transformer recurse, and
 * a deep body would overflow their stack).
 *
 * `bootstrapService` turns Nest's own body parser off, so this one reads the stream. An app
 * created with Nest's defaults (tests, the demo) has parsed the body already; then the parsed
 * value gets the same checks.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware<Request, ServerResponse> {
  constructor(@Inject(HTTP_MAX_BODY_BYTES) private readonly maxBytes: number) {}

  async use(request: Request, _response: ServerResponse, next: (error?: unknown) => void) {
    try {
      // Another parser (Nest's default) has read the stream already.
      if (request.body !== undefined || request.readableEnded) {
        scan(checkDepth(request.body));
      } else if (JSON_TYPE.test(request.headers['content-type'] ?? '')) {
        const text = await this.read(request);
        request.body = text.trim() === '' ? {} : checkDepth(parse(text));
      }
      next();
    } catch (error) {
      next(error);
    }
  }

  private async read(request: Request): Promise<string> {
    const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      throw new UnsupportedMediaTypeException(`Content-Encoding ${encoding} is not accepted.`);
    }
    const charset = /;\s*charset=("?)([\w-]+)\1/i.exec(request.headers['content-type'] ?? '')?.[2];
    if (charset && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8') {
      throw new UnsupportedMediaTypeException(`JSON bodies are UTF-8, not ${charset}.`);
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > this.maxBytes) throw this.tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Stop reading at once: a client streaming gigabytes gets its 413 after maxBytes.
      if (size > this.maxBytes) throw this.tooLarge();
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private tooLarge(): PayloadTooLargeException {
    return new PayloadTooLargeException(`The body exceeds ${this.maxBytes} bytes.`);
  }
}

function parse(text: string): unknown {
  try {
    return sjson.parse(text, SECURE_PARSE);
  } catch (error) {
    throw notAcceptable(error);
  }
}

/** The prototype-key check of `parse`, on a body some other parser has read. */
function scan(body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  try {
    sjson.scan(body, SECURE_PARSE);
  } catch (error) {
    throw notAcceptable(error);
  }
}

function notAcceptable(error: unknown): BadRequestException {
  return new BadRequestException(`The body is not acceptable JSON: ${(error as Error).message}`);
}

function checkDepth(body: unknown): unknown {
  if (exceedsDepth(body, MAX_JSON_DEPTH)) {
    throw new BadRequestException(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  return body;
}
