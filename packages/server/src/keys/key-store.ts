/**
 * Client keys and what they spent, in the database beside the document collections: the SQLite file by
 * default, PostgreSQL with `DATABASE_URL` (shared by every instance). Only a key's hash is stored.
 */

/** What a key is created with or changed to; in an update, an absent field stays and null clears it. */
export interface ClientKeyFields {
  name: string;
  /** Model names and `*` patterns the key may use; null for every model. */
  models: string[] | null;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  /** Total tokens (prompt and completion) the key may spend over its life; null for no limit. */
  budgetTokens: number | null;
  /** Total spend in US dollars, priced with SLUICE_MODEL_PRICES; null for no limit. */
  budgetUsd: number | null;
  /** ISO 8601; from then on the key is refused. */
  expiresAt: string | null;
  metadata: Record<string, unknown>;
}

/** A client key as stored, without its secret. */
export interface ClientKeyRecord extends ClientKeyFields {
  id: string;
  /** `sk-sluice-…abcd`: enough for a person to tell keys apart, nothing to authenticate with. */
  hint: string;
  createdAt: string;
  /** ISO 8601 once revoked; a revoked key stays listed (and keeps auth on), refused forever. */
  revokedAt: string | null;
  spentTokens: number;
  spentUsd: number;
}

export interface NewClientKeyRecord extends ClientKeyFields {
  id: string;
  hash: string;
  hint: string;
}

/** Usage of one key and model: what one or more settled streams charge at once, and what the key spent so far. */
export interface ModelUsage {
  /** The model as the client named it. */
  model: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  /** Of `requests`, those whose usage Sluice estimated (the stream ended before the upstream reported it). */
  estimatedRequests: number;
  costUsd: number;
}

export interface KeyStore {
  readonly backend: 'sqlite' | 'postgres';
  create(key: NewClientKeyRecord): Promise<ClientKeyRecord>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<ClientKeyRecord[]>;
  get(id: string): Promise<ClientKeyRecord | undefined>;
  findByHash(hash: string): Promise<ClientKeyRecord | undefined>;
  /** Undefined when there is no such key. */
  update(id: string, changes: Partial<ClientKeyFields>): Promise<ClientKeyRecord | undefined>;
  /** Marks the key revoked (once: a second revoke keeps the first time). Undefined when there is no such key. */
  revoke(id: string): Promise<ClientKeyRecord | undefined>;
  /** Keys ever created, revoked ones included: auth is on from the first. */
  count(): Promise<number>;
  /** Adds usage to its key's totals, in one transaction; returns the key's spend after it. */
  charge(id: string, charge: ModelUsage): Promise<{ spentTokens: number; spentUsd: number }>;
  /** What the key spent, by model. */
  usageOf(id: string): Promise<ModelUsage[]>;
  close(): Promise<void>;
}

/** The not-found message of every store and route, worded once. */
export function unknownKeyMessage(id: string): string {
  return `No key ${JSON.stringify(id.slice(0, 80))}`;
}
