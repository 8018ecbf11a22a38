import { z } from 'zod';
import type { ClientKeyFields, ClientKeyRecord, ModelUsage } from '../../keys/key-store.ts';
import { parseRequest } from '../dialects/request-validation.ts';

const maxMetadataBytes = 4096;

const limit = z.number().int('must be a whole number').positive('must be 1 or more').max(1_000_000_000_000);

/** The fields of `POST /admin/keys` and `PATCH /admin/keys/{id}` (and the flags of `sluice keys`), snake_case like the rest of the API. */
const fieldSchemas = {
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  models: z
    .array(z.string().min(1, 'must name a model or a pattern with *').max(200))
    .min(1, 'must name at least one model; null allows every model')
    .max(200)
    .nullable(),
  rpm: limit.nullable(),
  tpm: limit.nullable(),
  budget_tokens: limit.nullable(),
  budget_usd: z.number().positive('must be more than 0').max(1_000_000_000).nullable(),
  expires_at: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date and time such as 2030-01-31T00:00:00Z' }).nullable(),
  metadata: z
    .record(z.string(), z.unknown())
    .refine((value) => JSON.stringify(value).length <= maxMetadataBytes, `must be at most ${maxMetadataBytes} bytes of JSON`)
    .nullable(),
};

const createSchema = z.strictObject({
  name: fieldSchemas.name,
  models: fieldSchemas.models.optional(),
  rpm: fieldSchemas.rpm.optional(),
  tpm: fieldSchemas.tpm.optional(),
  budget_tokens: fieldSchemas.budget_tokens.optional(),
  budget_usd: fieldSchemas.budget_usd.optional(),
  expires_at: fieldSchemas.expires_at.optional(),
  metadata: fieldSchemas.metadata.optional(),
});

const updateSchema = createSchema.partial().refine((body) => Object.keys(body).length > 0, 'name at least one field to change');

type KeyBody = z.infer<typeof createSchema>;

/** A key to create, from a request body: 400 naming the field at fault. */
export function parseNewKey(body: unknown): ClientKeyFields {
  const parsed = parseRequest(createSchema, body);
  return {
    name: parsed.name,
    models: parsed.models ?? null,
    requestsPerMinute: parsed.rpm ?? null,
    tokensPerMinute: parsed.tpm ?? null,
    budgetTokens: parsed.budget_tokens ?? null,
    budgetUsd: parsed.budget_usd ?? null,
    expiresAt: parsed.expires_at === undefined || parsed.expires_at === null ? null : new Date(parsed.expires_at).toISOString(),
    metadata: parsed.metadata ?? {},
  };
}

/** Changes to a key: absent fields stay as they are, null clears a limit. */
export function parseKeyChanges(body: unknown): Partial<ClientKeyFields> {
  const parsed: Partial<KeyBody> = parseRequest(updateSchema, body);
  const changes: Partial<ClientKeyFields> = {};
  if (parsed.name !== undefined) changes.name = parsed.name;
  if (parsed.models !== undefined) changes.models = parsed.models;
  if (parsed.rpm !== undefined) changes.requestsPerMinute = parsed.rpm;
  if (parsed.tpm !== undefined) changes.tokensPerMinute = parsed.tpm;
  if (parsed.budget_tokens !== undefined) changes.budgetTokens = parsed.budget_tokens;
  if (parsed.budget_usd !== undefined) changes.budgetUsd = parsed.budget_usd;
  if (parsed.expires_at !== undefined) changes.expiresAt = parsed.expires_at === null ? null : new Date(parsed.expires_at).toISOString();
  if (parsed.metadata !== undefined) changes.metadata = parsed.metadata ?? {};
  return changes;
}

/** A key as the admin API and the CLI show it: never its secret or its hash. */
export function toKeyBody(key: ClientKeyRecord) {
  return {
    id: key.id,
    object: 'client_key',
    name: key.name,
    hint: key.hint,
    models: key.models,
    rpm: key.requestsPerMinute,
    tpm: key.tokensPerMinute,
    budget_tokens: key.budgetTokens,
    budget_usd: key.budgetUsd,
    expires_at: key.expiresAt,
    metadata: key.metadata,
    created_at: key.createdAt,
    revoked_at: key.revokedAt,
    spent_tokens: key.spentTokens,
    spent_usd: key.spentUsd,
  };
}

export function toModelUsageBody(usage: ModelUsage) {
  return {
    model: usage.model,
    requests: usage.requests,
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    estimated_requests: usage.estimatedRequests,
    cost_usd: usage.costUsd,
  };
}
