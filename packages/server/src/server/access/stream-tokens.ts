import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived tokens that stand for a client key where a header cannot be sent: in an `EventSource`
 * URL (`?stream_token=`) and in the chat page's session cookie. A token names its key's id and its
 * expiry, signed with HMAC-SHA-256; it grants no more than the key does, and a revoked key's tokens are
 * refused with it, since every use looks the key up.
 */
export interface StreamTokens {
  issue(keyId: string, ttlMs: number): { token: string; expiresAt: Date };
  /** The key id a valid, unexpired token stands for; undefined for anything else. */
  verify(token: string): string | undefined;
  /** Where the signing secret came from, for the startup log. */
  readonly secretSource: 'SLUICE_STREAM_TOKEN_SECRET' | 'SLUICE_ADMIN_TOKEN' | 'random';
}

const version = 'sst1';
const tokenPattern = /^sst1\.(key_[A-Za-z0-9_-]{1,64})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

/**
 * The signing key is derived (HMAC with a fixed label) from SLUICE_STREAM_TOKEN_SECRET, else from
 * SLUICE_ADMIN_TOKEN, so that every instance configured alike verifies every instance's tokens without
 * the admin token itself ever signing anything; with neither, from random bytes, and then only this
 * process verifies its tokens.
 */
export function createStreamTokens(settings: { streamTokenSecret: string | undefined; adminToken: string | undefined }): StreamTokens {
  const base = settings.streamTokenSecret ?? settings.adminToken;
  const secretSource = settings.streamTokenSecret !== undefined ? 'SLUICE_STREAM_TOKEN_SECRET' : settings.adminToken !== undefined ? 'SLUICE_ADMIN_TOKEN' : 'random';
  const signingKey = createHmac('sha256', base ?? randomBytes(32)).update('sluice stream tokens v1').digest();
  const sign = (payload: string): Buffer => createHmac('sha256', signingKey).update(payload).digest();
  return {
    secretSource,
    issue(keyId, ttlMs) {
      const expiresAt = new Date(Date.now() + ttlMs);
      const payload = `${version}.${keyId}.${expiresAt.getTime()}`;
      return { token: `${payload}.${sign(payload).toString('base64url')}`, expiresAt };
    },
    verify(token) {
      const match = tokenPattern.exec(token);
      if (match === null) return undefined;
      const [, keyId, expiresAtMs, signature] = match as unknown as [string, string, string, string];
      const expected = sign(`${version}.${keyId}.${expiresAtMs}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      return Number(expiresAtMs) > Date.now() ? keyId : undefined;
    },
  };
}
