import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../../packages/server/src/server/config/settings.ts';
import type { FakeProvider } from '../support/fake-provider/index.ts';
import { startHarness, type Harness, type HarnessOptions } from '../support/sluice-harness.ts';

export const adminToken = 'admin-token-for-tests-0123456789';

export interface KeyFields {
  name: string;
  models?: string[] | null;
  rpm?: number | null;
  tpm?: number | null;
  budget_tokens?: number | null;
  budget_usd?: number | null;
  expires_at?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface CreatedKey {
  id: string;
  key: string;
  name: string;
}

export interface AccessHarness extends Harness {
  /** The SQLite file of this instance's keys (a temporary folder, removed on close). */
  keysPath: string;
  /** A request to the admin API with the admin token. */
  admin(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  createKey(fields: KeyFields): Promise<CreatedKey>;
}

/** A harness whose Sluice keeps its keys in a temporary SQLite file and has an admin API. */
export async function startAccessHarness(
  settings: Partial<Settings> | ((fake: FakeProvider) => Partial<Settings>) = {},
  options: HarnessOptions & { keysPath?: string } = {},
): Promise<AccessHarness> {
  const folder = options.keysPath === undefined ? mkdtempSync(join(tmpdir(), 'sluice-keys-')) : undefined;
  const keysPath = options.keysPath ?? join(folder!, 'keys.db');
  const harness = await startHarness((fake) => ({ keysSqlitePath: keysPath, adminToken, ...(typeof settings === 'function' ? settings(fake) : settings) }), options);
  const adminBase = harness.sluice.adminUrl ?? harness.sluice.url;
  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${adminBase}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  return {
    ...harness,
    keysPath,
    admin,
    async createKey(fields) {
      const response = await admin('/admin/keys', { body: fields });
      if (response.status !== 201) throw new Error(`creating a key answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as CreatedKey;
    },
    async close() {
      await harness.close();
      if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    },
  };
}
