import { parseArgs } from 'node:util';
import { isSluiceError } from '@sluice/protocol';
import type { ClientKeyRecord } from '../../keys/key-store.ts';
import { parseKeyChanges, parseNewKey, toKeyBody } from '../access/key-fields.ts';
import { createKeyDirectory, type KeyDirectory } from '../access/key-directory.ts';
import { loadSettings, SettingsError } from '../config/settings.ts';
import { createLogger } from '../observability/logger.ts';
import { failed, usageError } from './command-exit.ts';

export const keysUsage = `Usage: sluice keys create --name <name> [options]
       sluice keys list [--json]
       sluice keys update <id> [options]
       sluice keys revoke <id>

Options (as the fields of POST /admin/keys; in update, "none" clears a limit):
  --name <name>
  --models <names>         comma-separated model names and * patterns (default: every model)
  --rpm <n>                requests per minute
  --tpm <n>                tokens per minute
  --budget-tokens <n>      tokens the key may spend over its life
  --budget-usd <dollars>   dollars it may spend (priced with SLUICE_MODEL_PRICES)
  --expires-at <time>      ISO 8601, e.g. 2030-01-31T00:00:00Z
  --metadata <json>        a JSON object
  --json                   print JSON (create: the key's fields and its secret)

create prints the new key on stdout, alone, and its details on stderr: it is never shown again.
The store is the server's: DATABASE_URL, else SLUICE_KEYS_SQLITE_PATH. A running gateway sees a change
within SLUICE_KEY_CACHE_MS. Exit status: 0 done, 1 failed, 2 usage.`;

const fieldOptions = {
  name: { type: 'string' },
  models: { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'budget-tokens': { type: 'string' },
  'budget-usd': { type: 'string' },
  'expires-at': { type: 'string' },
  metadata: { type: 'string' },
} as const;

type FieldValues = { [K in keyof typeof fieldOptions]?: string };

/** `sluice keys …` (`npx sluice keys …`): the admin API's key operations, straight on the store. Returns the exit status. */
export async function runKeysCommand(argv: string[], environment: NodeJS.ProcessEnv): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...fieldOptions, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    return usageError('keys', keysUsage, (error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, id, ...rest] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${keysUsage}\n`);
    return values.help ? 0 : 2;
  }
  if (rest.length > 0) return usageError('keys', keysUsage, `unexpected ${rest.join(' ')}`);
  if ((command === 'update' || command === 'revoke') && id === undefined) return usageError('keys', keysUsage, `${command} needs the key's id`);
  if ((command === 'create' || command === 'list') && id !== undefined) return usageError('keys', keysUsage, `${command} takes no id`);

  let settings;
  try {
    settings = loadSettings(environment);
  } catch (error) {
    if (error instanceof SettingsError) return failed('keys', error.message);
    throw error;
  }
  const directory = createKeyDirectory(settings, createLogger('silent'), false);
  try {
    switch (command) {
      case 'create':
        return await create(directory, values, values.json === true);
      case 'list':
        return await list(directory, values.json === true);
      case 'update':
        return await print(await directory.update(id!, parseKeyChanges(toBody(values))), id!, values.json === true);
      case 'revoke':
        return await print(await directory.revoke(id!), id!, values.json === true);
      default:
        return usageError('keys', keysUsage, `unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    return failed('keys', isSluiceError(error) ? error.message : `the key store failed: ${(error as Error).message}`);
  } finally {
    await directory.close();
  }
}

async function create(directory: KeyDirectory, values: FieldValues, json: boolean): Promise<number> {
  const { record, secret } = await directory.create(parseNewKey(toBody(values)));
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...toKeyBody(record), key: secret }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`${secret}\n`);
  process.stderr.write(`Created ${describe(record)}\nThe key above is shown this once: store it now.\n`);
  return 0;
}

async function list(directory: KeyDirectory, json: boolean): Promise<number> {
  const keys = await directory.list();
  if (json) process.stdout.write(`${JSON.stringify(keys.map(toKeyBody), null, 2)}\n`);
  else process.stdout.write(keys.length === 0 ? 'No keys: Sluice runs open until the first is created.\n' : `${keys.map(describe).join('\n')}\n`);
  return 0;
}

function print(record: ClientKeyRecord | undefined, id: string, json: boolean): number {
  if (record === undefined) return failed('keys', `no key ${JSON.stringify(id)}`);
  process.stdout.write(json ? `${JSON.stringify(toKeyBody(record), null, 2)}\n` : `${describe(record)}\n`);
  return 0;
}

/** One line per key: what a person needs to tell it apart and see its limits. */
function describe(key: ClientKeyRecord): string {
  const parts = [`${key.id}  ${JSON.stringify(key.name)}  ${key.hint}`];
  if (key.models !== null) parts.push(`models ${key.models.join(',')}`);
  if (key.requestsPerMinute !== null) parts.push(`rpm ${key.requestsPerMinute}`);
  if (key.tokensPerMinute !== null) parts.push(`tpm ${key.tokensPerMinute}`);
  if (key.budgetTokens !== null) parts.push(`budget ${key.spentTokens}/${key.budgetTokens} tokens`);
  if (key.budgetUsd !== null) parts.push(`budget $${key.spentUsd.toFixed(4)}/$${key.budgetUsd}`);
  if (key.expiresAt !== null) parts.push(`expires ${key.expiresAt}`);
  if (key.revokedAt !== null) parts.push(`REVOKED ${key.revokedAt}`);
  return parts.join('  ');
}

/** The flags as the JSON body of the admin API, so that both refuse the same things in the same words. */
function toBody(values: FieldValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const number = (text: string): unknown => (text === 'none' ? null : /^\d+(\.\d+)?$/.test(text) ? Number(text) : text);
  if (values.name !== undefined) body.name = values.name;
  if (values.models !== undefined) body.models = values.models === 'none' ? null : values.models.split(',').map((model) => model.trim());
  if (values.rpm !== undefined) body.rpm = number(values.rpm);
  if (values.tpm !== undefined) body.tpm = number(values.tpm);
  if (values['budget-tokens'] !== undefined) body.budget_tokens = number(values['budget-tokens']);
  if (values['budget-usd'] !== undefined) body.budget_usd = number(values['budget-usd']);
  if (values['expires-at'] !== undefined) body.expires_at = values['expires-at'] === 'none' ? null : values['expires-at'];
  if (values.metadata !== undefined) body.metadata = values.metadata === 'none' ? null : parseJson(values.metadata);
  return body;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
