import { Provider, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';

/**
 * HTTP input of every service: validated DTOs, unknown properties refused (400 naming them),
 * query strings converted to the DTO's types.
 */
export function validationPipeProvider(): Provider {
  return {
    provide: APP_PIPE,
    useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  };
}
