import { parseArgs } from 'node:util';
import { isSluiceError } from '@sluice/protocol';
import { createRetrievalStore } from '../../retrieval/create-retrieval-store.ts';
import { ingestFolder } from '../../retrieval/ingest-folder.ts';
import { retrievalStoreConfig } from '../config/lazy-retrieval-store.ts';
import { loadSettings, SettingsError } from '../config/settings.ts';
import { failed, usageError } from './command-exit.ts';

export const ingestUsage = `Usage: sluice ingest <folder> --collection <name> [--batch-size <n>]

Ingests every .md, .markdown and .txt file under <folder> into the collection, creating it if needed.
A document's id is its path relative to <folder>, so ingesting again replaces rather than duplicates.
The store is the server's: DATABASE_URL, else SLUICE_RETRIEVAL_SQLITE_PATH; vectors too when
SLUICE_EMBEDDINGS_BASE_URL is set. Progress goes to stderr, the summary to stdout.

Exit status: 0 done, 1 failed (nothing of the failing batch is written; run again to complete), 2 usage.`;

/**
 * `sluice ingest <folder> --collection <name>` (`npm start -- ingest ...`): `ingestFolder` into the
 * store the server's settings name. Returns the exit status. Ctrl-C stops between batches.
 */
export async function runIngestCommand(argv: string[], environment: NodeJS.ProcessEnv): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { collection: { type: 'string', short: 'c' }, 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    return usageError('ingest', ingestUsage, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${ingestUsage}\n`);
    return 0;
  }
  if (positionals.length !== 1) return usageError('ingest', ingestUsage, positionals.length === 0 ? 'name the folder to ingest' : `one folder only, got ${positionals.join(' ')}`);
  if (values.collection === undefined) return usageError('ingest', ingestUsage, '--collection <name> is required');
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 100)) {
    return usageError('ingest', ingestUsage, '--batch-size must be a whole number from 1 to 100');
  }
  const folder = positionals[0]!;
  const collection = values.collection;

  let settings;
  try {
    settings = loadSettings(environment);
  } catch (error) {
    if (error instanceof SettingsError) return failed('ingest', error.message);
    throw error;
  }
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  const startedAt = performance.now();
  let store;
  try {
    store = await createRetrievalStore(retrievalStoreConfig(settings));
    const backend = store.description.hybrid ? `${store.description.backend}, hybrid` : store.description.backend;
    process.stderr.write(`Ingesting ${folder} into collection "${collection}" (${backend})\n`);
    const result = await ingestFolder(store, collection, folder, {
      ...(batchSize === undefined ? {} : { batchSize }),
      signal: controller.signal,
      onProgress: ({ writtenDocuments, totalDocuments }) => process.stderr.write(`  ${writtenDocuments}/${totalDocuments} documents\n`),
    });
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    process.stdout.write(
      `Ingested ${result.documents} documents (${result.chunks} chunks, ${result.replaced} replaced) into "${collection}" in ${seconds} s\n`,
    );
    if (result.skippedEmpty.length > 0) process.stdout.write(`Skipped ${result.skippedEmpty.length} empty files: ${result.skippedEmpty.join(', ')}\n`);
    return 0;
  } catch (error) {
    if (controller.signal.aborted) return failed('ingest', 'interrupted; the batches written so far stay, run again to complete');
    return failed('ingest', isSluiceError(error) ? error.message : `the retrieval store failed: ${(error as Error).message}`);
  } finally {
    process.off('SIGINT', onInterrupt);
    await store?.close();
  }
}
