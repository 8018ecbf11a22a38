import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

/** The README states the measured size; this budget only catches a regression such as server code leaking in. */
const budgetGzipBytes = 10 * 1024;

describe('sluice/client bundle', () => {
  it('bundles for a browser from the protocol and eventsource-parser only, within its size budget', async () => {
    const result = await build({
      entryPoints: [new URL('../../src/client/index.ts', import.meta.url).pathname],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const foreign = inputs.filter((input) => !/^(src\/client\/|src\/protocol\/|node_modules\/eventsource-parser\/)/.test(input));
    assert.deepEqual(foreign, []);
    const gzipBytes = gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
    assert.ok(gzipBytes < budgetGzipBytes, `${gzipBytes} bytes gzipped`);
  });
});
