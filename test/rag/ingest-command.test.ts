/** `sluice ingest <folder> --collection <name>` as a user runs it: a real process, its output and exit status. */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness } from '../support/sluice-harness.ts';
import { readStream } from '../support/sse-client.ts';
import { parseEvents, requestJson } from './rag-support.ts';
import { sluiceCommand } from '../support/sluice-command.ts';

const repositoryRoot = new URL('../..', import.meta.url).pathname;

let directory: string;
let folder: string;
let databasePath: string;

before(() => {
  directory = mkdtempSync(join(tmpdir(), 'sluice-ingest-'));
  folder = join(directory, 'notes');
  databasePath = join(directory, 'retrieval.db');
  mkdirSync(join(folder, 'guides'), { recursive: true });
  mkdirSync(join(folder, '.drafts'));
  writeFileSync(join(folder, 'leave.md'), '# Leave policy\n\nEmployees get 30 days of paid leave a year.\n');
  writeFileSync(join(folder, 'guides', 'travel.md'), '# Travel\n\nBook trains for trips under 500 km.\n');
  writeFileSync(join(folder, 'expenses.txt'), 'Receipts are due within 14 days of the trip.\n');
  writeFileSync(join(folder, 'empty.md'), '\n\n');
  writeFileSync(join(folder, '.drafts', 'secret.md'), '# Not ready\n');
  writeFileSync(join(folder, 'picture.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
});

after(() => rmSync(directory, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], environment: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: repositoryRoot, env: { ...process.env, SLUICE_RETRIEVAL_SQLITE_PATH: databasePath, ...environment } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const ingest = (...args: string[]) => run(process.execPath, sluiceCommand('ingest', ...args));

describe('sluice ingest', () => {
  it('ingests the folder in batches with progress, and a server on the same store serves it', async () => {
    const result = await ingest(folder, '--collection', 'notes', '--batch-size', '2');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Ingesting .*notes into collection "notes" \(sqlite\)/);
    assert.match(result.stderr, /2\/3 documents\n {2}3\/3 documents/);
    assert.match(result.stdout, /^Ingested 3 documents \(3 chunks, 0 replaced\) into "notes" in \d+\.\d s\n/);
    assert.match(result.stdout, /Skipped 1 empty files: empty\.md/);

    const harness = await startHarness({ retrievalSqlitePath: databasePath });
    try {
      const listing = await requestJson(harness.sluice.url, 'GET', '/v1/collections/notes/documents');
      assert.deepEqual(
        (listing.body as { documents: { id: string; title: string }[] }).documents.map(({ id, title }) => ({ id, title })),
        [
          { id: 'expenses.txt', title: 'expenses' },
          { id: 'guides/travel.md', title: 'Travel' },
          { id: 'leave.md', title: 'Leave policy' },
        ],
      );
      harness.fake.setScenario({ text: 'Thirty days [1].' });
      const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, {
        body: { prompt: 'How many days of paid leave?', retrieval: { collection: 'notes', top_k: 1 } },
      });
      const [, sources] = parseEvents(stream.messages);
      assert.deepEqual(
        sources!.data.sources.map((source: { id: string; metadata: unknown }) => [source.id, source.metadata]),
        [['leave.md', { path: 'leave.md' }]],
      );
    } finally {
      await harness.close();
    }
  });

  it('replaces rather than duplicates when run again', async () => {
    const result = await ingest(folder, '--collection', 'notes');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Ingested 3 documents \(3 chunks, 3 replaced\)/);
  });

  it('runs as npm start -- ingest', async () => {
    const result = await run('npm', ['start', '--silent', '--', 'ingest', folder, '--collection', 'notes']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Ingested 3 documents/);
  });

});

describe('sluice ingest refuses', { concurrency: true }, () => {
  const failures: { name: string; args: () => string[]; code: number; message: RegExp }[] = [
    { name: 'no --collection', args: () => [folder], code: 2, message: /--collection <name> is required\n\nUsage: sluice ingest/ },
    { name: 'no folder', args: () => ['--collection', 'notes'], code: 2, message: /name the folder to ingest/ },
    { name: 'an unknown option', args: () => [folder, '--collection', 'notes', '--force'], code: 2, message: /Unknown option '--force'/ },
    { name: 'a batch size over 100', args: () => [folder, '--collection', 'notes', '--batch-size', '500'], code: 2, message: /--batch-size must be/ },
    { name: 'an invalid collection name', args: () => [folder, '--collection', 'My Notes'], code: 1, message: /Collection name "My Notes" is invalid/ },
    { name: 'a missing folder', args: () => [join(directory, 'missing'), '--collection', 'notes'], code: 1, message: /cannot be read: ENOENT/ },
  ];
  for (const { name, args, code, message } of failures) {
    it(`exits ${code} with a message for ${name}`, async () => {
      const result = await ingest(...args());
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    });
  }

  it('exits 1 naming a file that is not UTF-8, having written nothing', async () => {
    const broken = join(directory, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'good.md'), '# Good\n\nFine text.\n');
    writeFileSync(join(broken, 'latin1.txt'), Buffer.from('caf\xe9\n', 'latin1'));
    const result = await ingest(broken, '--collection', 'broken');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /File "latin1\.txt" is not UTF-8 text/);
    const harness = await startHarness({ retrievalSqlitePath: databasePath });
    try {
      assert.equal((await requestJson(harness.sluice.url, 'GET', '/v1/collections/broken')).status, 404);
    } finally {
      await harness.close();
    }
  });
});
