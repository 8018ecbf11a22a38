import { hash, randomBytes } from 'node:crypto';

/** Every client key starts with this, so that secret scanners and people can tell what it is. */
export const clientKeyPrefix = 'sk-sluice-';

/** 24 random bytes: 192 bits, written as 32 base64url characters after the prefix. */
const secretBytes = 24;
const clientKeyPattern = /^sk-sluice-[A-Za-z0-9_-]{32}$/;

export interface NewClientKey {
  /** The public id (`key_…`): in URLs, logs and stream ownership. Not a secret. */
  id: string;
  /** The key itself, shown once to whoever created it and never stored. */
  secret: string;
  /** What the store keeps instead of the secret. */
  hash: string;
  /** The last four characters, so that a person can tell their keys apart in a listing. */
  hint: string;
}

/** A new key: its secret from the CSPRNG, and the id, hash and hint stored in its place. */
export function createClientKey(): NewClientKey {
  const secret = clientKeyPrefix + randomBytes(secretBytes).toString('base64url');
  return { id: `key_${randomBytes(9).toString('base64url')}`, secret, hash: hashClientKey(secret), hint: `${clientKeyPrefix}…${secret.slice(-4)}` };
}

/** True for a string shaped like a client key; anything else is refused without a database lookup. */
export function isClientKey(value: string): boolean {
  return clientKeyPattern.test(value);
}

/**
 * SHA-256 of the key, hex. A slow password hash (scrypt, argon2) protects low-entropy secrets from
 * guessing; a key holds 192 random bits, which no guessing reaches, so a fast hash is as safe here and
 * keeps the lookup of every request to a microsecond. It is unkeyed so that the CLI and every instance
 * compute the same hash without sharing a secret.
 */
export function hashClientKey(secret: string): string {
  return hash('sha256', secret, 'hex');
}
