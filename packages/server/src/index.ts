/**
 * `sluice`: the gateway, to embed in a Node process (`npx sluice` runs it on its own). `startSluice`
 * takes settings as `startSluice` overrides, else from `options.environment`, as the server's
 * environment variables are named (see `npx sluice --help`).
 */

export type { Settings } from './server/config/settings.ts';
export { loadSettings, SettingsError } from './server/config/settings.ts';
export { ListenError } from './server/listen-error.ts';
export { startSluice, type SluiceInstance, type StartOptions } from './server/start-sluice.ts';
