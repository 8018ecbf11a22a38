/**
 * Whether a request's `Host` is one Sluice answers to (SLUICE_ALLOWED_HOSTS): against DNS rebinding,
 * where a page of the attacker's name that resolves to Sluice's address reads it as its own origin.
 * An entry with a port must match host and port; one without, the host on any port. No list allows
 * every host.
 */
export function isHostAllowed(host: string | undefined, allowedHosts: readonly string[]): boolean {
  if (allowedHosts.length === 0) return true;
  if (host === undefined) return false;
  const lowered = host.toLowerCase();
  const hostname = lowered.startsWith('[') ? lowered.slice(0, lowered.indexOf(']') + 1) : lowered.split(':')[0]!;
  return allowedHosts.some((allowed) => allowed === lowered || allowed === hostname);
}
