import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import type { ServiceConfig } from '../service-config';
import { EnvironmentReader, readerOf, validateEnvironment } from './environment.validation';

/** The service's typed settings (a `ServiceConfig`, or the service's extension of it). */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');

/** A service's environment: the class it is validated against, and what it means. */
export interface ServiceSchema<E extends object, C extends ServiceConfig> {
  /** A class-validator class; its initializers are the defaults. */
  environment: new () => E;
  toConfig(env: EnvironmentReader<E>): C;
}

/**
 * The settings of an environment record, validated against the schema without Nest: for the
 * demo, which runs two services with two environments in one process.
 */
export function loadServiceConfig<E extends object, C extends ServiceConfig>(
  schema: ServiceSchema<E, C>,
  env: Record<string, string | undefined>,
): C {
  return schema.toConfig(readerOf(validateEnvironment(schema.environment, env)));
}

/** Provides SERVICE_CONFIG to the whole application. */
@Module({})
export class ServiceConfigModule {
  /** Settings made already (tests, the demo). */
  static forConfig(config: ServiceConfig): DynamicModule {
    return {
      module: ServiceConfigModule,
      global: true,
      providers: [{ provide: SERVICE_CONFIG, useValue: config }],
      exports: [SERVICE_CONFIG],
    };
  }

  /**
   * Settings from the process environment, validated by `ConfigModule.forRoot({ validate })`
   * against the schema. Rejects with an EnvironmentError naming every bad variable.
   */
  static async forEnvironment<E extends object, C extends ServiceConfig>(
    schema: ServiceSchema<E, C>,
  ): Promise<DynamicModule> {
    const config = await ConfigModule.forRoot({
      // The process environment only, as before @nestjs/config: no .env file is read.
      ignoreEnvFile: true,
      // An optional variable left unset reads as unset, not as process.env's raw text.
      skipProcessEnv: true,
      validate: (env) => validateEnvironment(schema.environment, env),
    });
    return {
      module: ServiceConfigModule,
      global: true,
      imports: [config],
      providers: [
        {
          provide: SERVICE_CONFIG,
          inject: [ConfigService],
          useFactory: (env: ConfigService<E, true>) => schema.toConfig(env),
        },
      ],
      exports: [SERVICE_CONFIG],
    };
  }
}
