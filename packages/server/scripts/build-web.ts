/**
 * Builds the chat page (src/web) into dist/web: index.html, app.css and app.js with React bundled.
 * `npm run build:web` runs it; the server's page route runs it too when dist/web is missing.
 */

import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const sourceDirectory = fileURLToPath(new URL('../src/web/', import.meta.url));
export const webPageDirectory = fileURLToPath(new URL('../dist/web/', import.meta.url));

export interface BuildWebPageOptions {
  /** @default dist/web */
  outputDirectory?: string;
}

export async function buildWebPage(options: BuildWebPageOptions = {}): Promise<{ outputDirectory: string; appBytes: number }> {
  const outputDirectory = options.outputDirectory ?? webPageDirectory;
  const stagingDirectory = await mkdtemp(join(tmpdir(), 'sluice-web-'));
  try {
    const result = await build({
      entryPoints: [join(sourceDirectory, 'main.tsx')],
      outfile: join(stagingDirectory, 'app.js'),
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome111', 'firefox111', 'safari16.4'],
      jsx: 'automatic',
      // From the workspace's sources, so the page builds without building @sluice/client and @sluice/react first.
      conditions: ['sluice-source'],
      define: { 'process.env.NODE_ENV': '"production"' },
      legalComments: 'eof',
      metafile: true,
      logLevel: 'warning',
    });
    await copyFile(join(sourceDirectory, 'index.html'), join(stagingDirectory, 'index.html'));
    await copyFile(join(sourceDirectory, 'app.css'), join(stagingDirectory, 'app.css'));
    await mkdir(outputDirectory, { recursive: true });
    // File by file, each moved in whole: a server reading the page meanwhile never sees a missing or half-written file.
    for (const name of ['app.js', 'app.css', 'index.html']) {
      const staged = join(outputDirectory, `.${name}.${process.pid}.tmp`);
      await copyFile(join(stagingDirectory, name), staged);
      await rename(staged, join(outputDirectory, name));
    }
    const appBytes = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('app.js'))?.[1].bytes ?? 0;
    return { outputDirectory, appBytes };
  } finally {
    await rm(stagingDirectory, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { outputDirectory, appBytes } = await buildWebPage();
  process.stdout.write(`Built the chat page into ${outputDirectory} (app.js ${(appBytes / 1024).toFixed(1)} KiB)\n`);
}
