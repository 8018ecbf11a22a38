import type { Settings } from '../config/settings.ts';

/** Addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** True when some upstream is reached with a key of Sluice's own: open, anyone reaching Sluice spends it. */
export function hasUpstreamKey(settings: Settings): boolean {
  return settings.openaiApiKey !== undefined || settings.anthropicApiKey !== undefined || Object.values(settings.providers).some((provider) => provider.apiKey !== undefined);
}

/**
 * Why Sluice must not start open (no client key required), or undefined: listening beyond loopback with
 * an upstream key of its own and without SLUICE_ALLOW_OPEN would hand that key to the network.
 */
export function openAccessRefusal(settings: Settings): string | undefined {
  if (settings.allowOpen || isLoopbackHost(settings.host) || !hasUpstreamKey(settings)) return undefined;
  return (
    `Refusing to start open on HOST=${settings.host} with an upstream key: anyone who reaches it would spend that key. ` +
    'Create a client key (npx sluice keys create --name <name>), or set SLUICE_REQUIRE_KEYS=true, or set SLUICE_ALLOW_OPEN=true to run open anyway.'
  );
}
