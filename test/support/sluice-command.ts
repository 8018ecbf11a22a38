import { fileURLToPath } from 'node:url';

/**
 * `node` arguments that run Sluice's command line from the workspace's TypeScript sources, as `npm start`
 * does: the `sluice-source` export condition resolves `@sluice/*` to their `src/`, not their unbuilt `dist/`.
 */
export function sluiceCommand(...args: string[]): string[] {
  return ['--conditions=sluice-source', fileURLToPath(new URL('../../packages/server/src/server/main.ts', import.meta.url)), ...args];
}
