import { DynamicModule, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EnvironmentError } from './environment/environment.validation';
import { SERVICE_CONFIG } from './environment/service-config.module';
import type { ServiceConfig } from './service-config';

/**
 * Starts a service: shutdown hooks on (so SIGTERM drains the event bus), listen on the port and
 * host of its SERVICE_CONFIG, log where. A startup error is logged and exits with 1; a bad
 * environment is logged as the list of bad variables alone, since no stack trace helps there.
 */
export function bootstrapService(module: DynamicModule | Promise<DynamicModule>): void {
  const start = async (): Promise<void> => {
    // ServiceHttpModule reads JSON bodies itself (bounded, secure-json-parse, depth-checked).
    const app = await NestFactory.create(await module, { bodyParser: false });
    app.enableShutdownHooks();
    const config = app.get<ServiceConfig>(SERVICE_CONFIG);
    await (config.host ? app.listen(config.port, config.host) : app.listen(config.port));
    Logger.log(`${config.serviceId} listening on ${await app.getUrl()}`, 'Bootstrap');
  };
  start().catch((error: unknown) => {
    if (error instanceof EnvironmentError) {
      Logger.error(error.message, 'Bootstrap');
    } else {
      const { message, stack } =
        error instanceof Error ? error : { message: String(error), stack: '' };
      Logger.error(message, stack, 'Bootstrap');
    }
    process.exit(1);
  });
}
