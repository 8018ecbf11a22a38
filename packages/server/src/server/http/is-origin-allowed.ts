/**
 * Whether a page of `origin` may start work here: Sluice's own origin (the one the request was sent to,
 * its Host), and the origins of SLUICE_CORS_ORIGINS (`*` for any).
 */
export function isOriginAllowed(origin: string, host: string | undefined, corsOrigins: readonly string[]): boolean {
  if (corsOrigins.includes('*') || corsOrigins.includes(origin)) return true;
  if (host === undefined) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    // `null` (a sandboxed frame, a file: page) or garbage.
    return false;
  }
  return parsed.host === host.toLowerCase();
}
