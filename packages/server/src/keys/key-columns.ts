import type { ClientKeyFields, ClientKeyRecord } from './key-store.ts';

/** The columns of a key's fields, in the order both stores write them. */
export const fieldColumns = {
  name: 'name',
  models: 'models',
  requestsPerMinute: 'requests_per_minute',
  tokensPerMinute: 'tokens_per_minute',
  budgetTokens: 'budget_tokens',
  budgetUsd: 'budget_usd',
  expiresAt: 'expires_at',
  metadata: 'metadata',
} as const satisfies Record<keyof ClientKeyFields, string>;

/** A row of either store (JSON columns as text or parsed, times as text or Date) as a record. */
export function keyFromRow(row: Record<string, unknown>): ClientKeyRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    hint: row.hint as string,
    models: parseJson(row.models) as string[] | null,
    requestsPerMinute: toNumberOrNull(row.requests_per_minute),
    tokensPerMinute: toNumberOrNull(row.tokens_per_minute),
    budgetTokens: toNumberOrNull(row.budget_tokens),
    budgetUsd: toNumberOrNull(row.budget_usd),
    expiresAt: toIsoOrNull(row.expires_at),
    metadata: (parseJson(row.metadata) ?? {}) as Record<string, unknown>,
    createdAt: toIsoOrNull(row.created_at)!,
    revokedAt: toIsoOrNull(row.revoked_at),
    spentTokens: Number(row.spent_tokens),
    spentUsd: Number(row.spent_usd),
  };
}

/** A field's value as its column stores it: JSON as text (both stores take it so). */
export function toColumnValue(field: keyof ClientKeyFields, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (field === 'models' || field === 'metadata') return JSON.stringify(value);
  return value as string | number;
}

function parseJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toIsoOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : (value as string);
}
