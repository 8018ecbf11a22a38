import { settingDefinitions, type SettingKey, type Settings } from './settings.ts';

// Inside a JSON setting (SLUICE_PROVIDERS), the fields that hold credentials.
const credentialField = /key|token|secret|password/i;

/**
 * Every secret in the settings: each setting marked `secret` (API keys, the admin token), whole; for a
 * URL (Redis's, PostgreSQL's) its password, as written and decoded, and not the rest, which logs may
 * name; for a JSON setting the credential fields inside it. New secret settings are covered by being
 * marked so.
 */
export function configuredSecrets(settings: Settings): string[] {
  const secrets: string[] = [];
  for (const [key, definition] of Object.entries(settingDefinitions) as [SettingKey, { secret?: boolean }][]) {
    if (definition.secret) collect(settings[key], secrets);
  }
  return [...new Set(secrets)];
}

function collect(value: unknown, secrets: string[], fieldName = ''): void {
  if (typeof value === 'string') {
    if (fieldName === '' || credentialField.test(fieldName)) addSecret(value, secrets);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [name, inner] of Object.entries(value)) collect(inner, secrets, typeof inner === 'string' ? name : '');
}

function addSecret(text: string, secrets: string[]): void {
  const password = urlPassword(text);
  if (password === undefined) secrets.push(text);
  else if (password !== '') secrets.push(password, decodeURIComponent(password));
}

/** The password of a URL ('' when it has none), or undefined when the text is not a URL. */
function urlPassword(text: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined;
  try {
    return new URL(text).password;
  } catch {
    return undefined;
  }
}
