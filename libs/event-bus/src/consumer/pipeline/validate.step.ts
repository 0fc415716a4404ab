import { Injectable, Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { InvalidEventError } from '../../errors/invalid-event.error';
import { validationFailed } from '../../event-bus.messages';

/**
 * Step 4, validate, per handler: an instance of the handler's class made from the upcast data,
 * checked by its class-validator rules. A failure names every field that broke a rule.
 */
@Injectable()
export class ValidateStep {
  async validate<T extends object>(type: string, target: Type<T>, data: object): Promise<T> {
    const instance = plainToInstance(target, data);
    const errors = await validate(instance, { forbidUnknownValues: false });
    if (errors.length > 0) {
      const reasons = errors
        .map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ') || 'invalid'}`)
        .join('; ');
      throw new InvalidEventError('validation_failed', validationFailed(type, reasons));
    }
    return instance;
  }
}
