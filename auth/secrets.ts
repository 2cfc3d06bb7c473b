// Password and token hashing (scrypt, node:crypto) and the HMAC signatures of session cookies
// and CSRF tokens. Hashes carry their parameters so they can be raised later without a reset.
import crypto from 'node:crypto';

const N = 16384;
const r = 8;
const p = 1;
const KEYLEN = 32;

export function hashSecret(secret: string): string {
  const salt = crypto.randomBytes(16);
  const key = crypto.scryptSync(secret, salt, KEYLEN, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export function verifySecret(secret: string, stored: string): boolean {
  const [alg, n, rr, pp, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const got = crypto.scryptSync(secret, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(rr),
    p: Number(pp),
  });
  return crypto.timingSafeEqual(expected, got);
}

/** A hash to compare against when the user does not exist, so timing does not tell names apart. */
export const DUMMY_HASH = hashSecret(crypto.randomBytes(16).toString('hex'));

export function randomSecret(bytes = 18): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

export function hmac(key: Buffer, value: string): string {
  return crypto.createHmac('sha256', key).update(value).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
