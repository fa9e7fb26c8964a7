import { createHash, randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_CHARACTERS = 40;

/** `trb_` followed by at least 32 base62 characters. */
export const API_KEY_PATTERN = /^trb_[A-Za-z0-9]{32,200}$/;

/** A new API key secret: `trb_` + 40 uniformly random base62 characters (about 238 bits). */
export function newApiKeySecret(): string {
  return `trb_${randomBase62(SECRET_CHARACTERS)}`;
}

/** Uniform base62 by rejection sampling (bytes ≥ 248 are drawn again, so no character is favoured). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue;
      out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * Only this hash of a secret is stored. The secrets are long random strings, so a fast hash is enough: there is
 * nothing to guess from a dictionary, and a lookup by hash costs one index read.
 */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
