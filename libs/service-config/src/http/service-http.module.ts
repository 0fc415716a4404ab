import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { DynamicModule, FactoryProvider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { HTTP_MAX_BODY_BYTES, JsonBodyMiddleware } from './json-body.middleware';
import { ServiceExceptionFilter } from './service-exception.filter';

export interface ServiceHttpOptions {
  /** Largest JSON body read, in bytes (413 above it). */
  maxBodyBytes: number;
}

/**
 * The HTTP edge every service shares: JSON bodies parsed as untrusted input (size, depth,
 * prototype keys) on every route, and the exception filter that answers 503 with Retry-After
 * when the database is unavailable. Module-level, so it applies however the app was created.
 */
@Module({})
export class ServiceHttpModule implements NestModule {
  static forRoot(options: ServiceHttpOptions): DynamicModule {
    return ServiceHttpModule.forRootAsync({ useFactory: () => options });
  }

  /** Options made by a factory, from injected providers (the service's settings). */
  static forRootAsync(
    options: Pick<FactoryProvider<ServiceHttpOptions>, 'inject' | 'useFactory'>,
  ): DynamicModule {
    return {
      module: ServiceHttpModule,
      providers: [
        {
          provide: HTTP_MAX_BODY_BYTES,
          inject: options.inject,
          useFactory: async (...args: unknown[]) =>
            (await options.useFactory(...args)).maxBodyBytes,
        },
        { provide: APP_FILTER, useClass: ServiceExceptionFilter },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
