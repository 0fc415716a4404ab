import { loadServiceConfig, ServiceConfig } from '@nestbus/service-config';
import { DEFAULT_SCRYPT_COST } from './users/password.hasher';

export interface UserServiceConfig extends ServiceConfig {
  /** scrypt cost N for password hashes (PASSWORD_SCRYPT_COST). */
  scryptCost: number;
}

/** Reads user-service's settings from the environment; a bad value fails startup naming it. */
export function loadUserServiceConfig(env: NodeJS.ProcessEnv): UserServiceConfig {
  return {
    ...loadServiceConfig(env, {
      port: 3001,
      serviceId: 'user-service',
      sqlitePath: './data/user-service.sqlite',
    }),
    scryptCost: parseScryptCost(env.PASSWORD_SCRYPT_COST),
  };
}

function parseScryptCost(value: string | undefined): number {
  if (!value) return DEFAULT_SCRYPT_COST;
  const cost = Number(value);
  // Below 2^10 a hash is too cheap to slow down a guesser; above 2^20 one hash takes a gigabyte.
  if (!Number.isInteger(cost) || cost < 2 ** 10 || cost > 2 ** 20 || (cost & (cost - 1)) !== 0) {
    throw new Error(
      `PASSWORD_SCRYPT_COST must be a power of two from 1024 to 1048576, got "${value}".`,
    );
  }
  return cost;
}
