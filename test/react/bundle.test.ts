import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

describe('sluice/react bundle', () => {
  it('bundles for a browser from sluice/client and React only', async () => {
    const result = await build({
      entryPoints: [new URL('../../src/react/index.ts', import.meta.url).pathname],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      external: ['react'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const foreign = inputs.filter(
      (input) => !/^(src\/react\/|src\/client\/|src\/protocol\/|node_modules\/eventsource-parser\/)/.test(input),
    );
    assert.deepEqual(foreign, []);
    const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((imported) => imported.path));
    assert.deepEqual([...new Set(imports)], ['react']);
  });
});
