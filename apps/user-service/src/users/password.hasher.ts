import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, scrypt, ScryptOptions } from 'node:crypto';

/** scrypt's cost N (a power of two); the parameters travel with each hash, so it can change. */
export const SCRYPT_COST = Symbol('SCRYPT_COST');

// 2^15 is 32 MiB and ~150 ms per hash here: interactive-login strength without letting a burst
// of sign-ups (four at once on libuv's pool) take half a gigabyte.
export const DEFAULT_SCRYPT_COST = 2 ** 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const MAX_MEMORY = 256 * 1024 * 1024;

/** Hashes passwords as `scrypt$N$r$p$salt$hash` (salt and hash in base64). */
@Injectable()
export class PasswordHasher {
  constructor(@Inject(SCRYPT_COST) private readonly cost: number) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    const options: ScryptOptions = {
      N: this.cost,
      r: BLOCK_SIZE,
      p: PARALLELISM,
      maxmem: MAX_MEMORY,
    };
    const hash = await new Promise<Buffer>((resolve, reject) =>
      scrypt(password, salt, KEY_LENGTH, options, (error, key) =>
        error ? reject(error) : resolve(key),
      ),
    );
    return [
      'scrypt',
      this.cost,
      BLOCK_SIZE,
      PARALLELISM,
      salt.toString('base64'),
      hash.toString('base64'),
    ].join('$');
  }
}
