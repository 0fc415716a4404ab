import { DynamicModule, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ServiceConfig } from './service-config';

/**
 * Starts a service: shutdown hooks on (so SIGTERM drains the event bus), listen, log where;
 * a startup error is logged and exits with 1.
 */
export function bootstrapService(config: ServiceConfig, module: DynamicModule): void {
  const start = async (): Promise<void> => {
    // ServiceHttpModule reads JSON bodies itself (bounded, secure-json-parse, depth-checked).
    const app = await NestFactory.create(module, { bodyParser: false });
    app.enableShutdownHooks();
    await (config.host ? app.listen(config.port, config.host) : app.listen(config.port));
    Logger.log(`${config.serviceId} listening on ${await app.getUrl()}`, 'Bootstrap');
  };
  start().catch((error: unknown) => {
    const { message, stack } =
      error instanceof Error ? error : { message: String(error), stack: '' };
    Logger.error(message, stack, 'Bootstrap');
    process.exit(1);
  });
}
