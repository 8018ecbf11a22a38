import cluster from 'node:cluster';
import { runIngestCommand } from './cli/ingest-command.ts';
import { runKeysCommand } from './cli/keys-command.ts';
import { runPrimary, type WorkerListening } from './cluster/run-primary.ts';
import { configuredProviderNames } from './config/provider-settings.ts';
import { describeSettings, loadSettings, SettingsError, type Settings } from './config/settings.ts';
import { ListenError } from './listen-error.ts';
import { configuredSecrets } from './config/configured-secrets.ts';
import { createRedactor } from './observability/create-redactor.ts';
import { createLogger } from './observability/logger.ts';
import { startSluice } from './start-sluice.ts';

/**
 * `node src/server/main.ts [--help]`: starts Sluice with settings from the environment and SLUICE_CONFIG;
 * with SLUICE_WORKERS above 1, this process becomes the primary and starts that many workers, each of
 * which runs this same command as one Sluice.
 * `node src/server/main.ts ingest <folder> --collection <name>`: ingests a folder of documents, then exits.
 * `node src/server/main.ts keys create|list|update|revoke`: manages client keys, then exits.
 */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'ingest') return runIngestCommand(argv.slice(1), process.env);
  if (argv[0] === 'keys') return runKeysCommand(argv.slice(1), process.env);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${describeSettings()}\n`);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(`sluice: unknown argument ${JSON.stringify(argv[0])}; see --help\n`);
    return 2;
  }
  let settings: Settings;
  let sluice;
  try {
    settings = loadSettings(process.env);
    if (settings.workers > 1 && cluster.isPrimary) {
      runPrimary(settings.workers, createLogger(settings.logLevel, undefined, createRedactor(configuredSecrets(settings))));
      return -1;
    }
    sluice = await startSluice(settings, { containStrayErrors: true, workerId: cluster.worker?.id });
  } catch (error) {
    // What a user can fix is one line; anything else is a bug, and its stack trace is wanted.
    if (error instanceof SettingsError || error instanceof ListenError) {
      process.stderr.write(`sluice: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const upstream = sluice.demoMode
    ? 'DEMO MODE: the built-in demo model "sluice-demo" answers every request (set OPENAI_API_KEY, OPENAI_BASE_URL or ANTHROPIC_API_KEY for a real model)'
    : `providers ${configuredProviderNames(sluice.settings).join(', ')}`;
  const onSignal = (signal: NodeJS.Signals): void => {
    sluice.logger.info({ signal, active_streams: sluice.activeStreams() }, `${signal}: draining for up to ${sluice.settings.drainMs} ms`);
    void sluice.shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  // Announced only once the signal handlers are in place: whoever starts Sluice and reads this line may
  // send SIGTERM at once, and before a handler exists that signal kills the process outright. A worker
  // tells its primary, which announces once every worker listens.
  if (cluster.isWorker) process.send?.({ sluice: 'listening', url: sluice.url, upstream } satisfies WorkerListening);
  else sluice.logger.info({ url: sluice.url, demo: sluice.demoMode }, `Sluice listening on ${sluice.url}; ${upstream}`);
  if (sluice.access === 'open') {
    sluice.logger.warn('No client key exists and SLUICE_REQUIRE_KEYS is off: Sluice runs open, anyone who reaches it may use it (create a key with npx sluice keys create)');
  } else if (sluice.streamTokenSecret === 'random') {
    sluice.logger.warn('Client keys are required on /v1; stream tokens are signed with a secret of this process alone (set SLUICE_STREAM_TOKEN_SECRET for several instances)');
  } else {
    sluice.logger.info({ stream_token_secret: sluice.streamTokenSecret }, 'Client keys are required on /v1');
  }
  return -1;
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
