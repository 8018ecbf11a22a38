/**
 * Builds the workspace package in the current directory into its dist/: compiled ESM JavaScript and
 * `.d.ts` types, from tsconfig.build.json. `npm run build` in a package (and `npm pack`, through
 * `prepack`) runs it. dist/ is emptied first, so no file of an earlier build is published.
 */

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const typescriptBin = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [typescriptBin, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
