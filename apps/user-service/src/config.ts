import {
  EnvironmentVariable,
  loadServiceConfig,
  ServiceConfig,
  ServiceEnvironment,
  ServiceSchema,
  toServiceConfig,
  VariableRule,
} from '@nestbus/service-config';
import { DEFAULT_SCRYPT_COST } from './users/password.hasher';

export interface UserServiceConfig extends ServiceConfig {
  /** scrypt cost N for password hashes (PASSWORD_SCRYPT_COST). */
  scryptCost: number;
}

// Below 2^10 a hash is too cheap to slow down a guesser; above 2^20 one hash takes a gigabyte.
const SCRYPT_COST_RULE: VariableRule<number> = {
  parse: (text) => {
    const cost = Number(text);
    const valid = Number.isInteger(cost) && cost >= 2 ** 10 && cost <= 2 ** 20;
    return valid && (cost & (cost - 1)) === 0 ? cost : undefined;
  },
  expects: 'must be a power of two from 1024 to 1048576',
};

/** user-service's variables and defaults: the shared ones, and the password hash cost. */
export class UserServiceEnvironment extends ServiceEnvironment {
  override PORT = 3001;
  override SERVICE_ID = 'user-service';
  override DATABASE_URL = './data/user-service.sqlite';

  @EnvironmentVariable(SCRYPT_COST_RULE)
  PASSWORD_SCRYPT_COST = DEFAULT_SCRYPT_COST;
}

/** What main.ts validates the process environment against (ConfigModule). */
export const USER_SERVICE_SCHEMA: ServiceSchema<UserServiceEnvironment, UserServiceConfig> = {
  environment: UserServiceEnvironment,
  toConfig: (env) => ({ ...toServiceConfig(env), scryptCost: env.get('PASSWORD_SCRYPT_COST') }),
};

/** user-service's settings from an environment record; a bad value throws, naming it. */
export function loadUserServiceConfig(env: Record<string, string | undefined>): UserServiceConfig {
  return loadServiceConfig(USER_SERVICE_SCHEMA, env);
}
