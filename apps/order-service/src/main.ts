import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { loadOrderServiceConfig } from './config';

async function bootstrap(): Promise<void> {
  const config = loadOrderServiceConfig(process.env);
  const app = await NestFactory.create(AppModule.forRoot(config));
  app.enableShutdownHooks();
  await (config.host ? app.listen(config.port, config.host) : app.listen(config.port));
  Logger.log(`${config.serviceId} listening on ${await app.getUrl()}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  const { message, stack } = error instanceof Error ? error : { message: String(error), stack: '' };
  Logger.error(message, stack, 'Bootstrap');
  process.exit(1);
});
