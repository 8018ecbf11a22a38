import { type ChatRequest, SluiceError, type StreamPart, type Usage } from '@sluice/protocol';
import type { ClientKeyRecord } from '../../keys/key-store.ts';
import type { StreamTally } from '../account-stream.ts';
import { StreamAbort } from '../stream-abort.ts';
import { isModelAllowed } from './allowed-models.ts';
import { costOf, type ModelPrice } from './model-prices.ts';
import type { RateLimiter, RateLimitState, RateReservation } from './rate-limiter.ts';

/** What admission needs of a client key. */
export type AdmittedKey = Pick<ClientKeyRecord, 'id' | 'name' | 'models' | 'requestsPerMinute' | 'tokensPerMinute' | 'budgetTokens' | 'budgetUsd'>;

export interface Spend {
  spentTokens: number;
  spentUsd: number;
}

export interface AdmissionServices {
  limiter: RateLimiter;
  priceOf: (model: string) => ModelPrice | undefined;
  /** Tokens reserved for a request that sets no `max_tokens`. */
  defaultReservationTokens: number;
  /** What a key has spent, as this instance knows it now: read again at every check, so one stream's charge counts for the next. */
  spendOf: (keyId: string) => Spend;
  /** Adds a settled stream's usage to the key's totals (in the database). */
  charge: (keyId: string, charge: { model: string; usage: Usage; costUsd: number }) => Promise<void>;
}

type Observe = (part: StreamPart) => StreamPart | undefined;

/**
 * A request let in, from routing to its settle. `watch` counts what the stream delivers past its
 * reservation as it streams (reserving more) and ends the stream when the key's budget runs out
 * mid-stream; `settle` replaces the reservation with what the stream used, whatever ended it, and charges
 * the key. Settle once, when the stream is over.
 */
export interface Admission {
  /** Undefined when Sluice runs open. */
  readonly keyId: string | undefined;
  readonly keyName: string | undefined;
  /** Where the key stands in the current minute, when it has a rate limit. */
  readonly rateLimits: RateLimitState | undefined;
  /** `observe` for `guardUpstream`: after each content part, the reservation and the budget (arithmetic, no I/O per part). */
  watch(observe: Observe, tally: StreamTally, abort: (reason: StreamAbort) => void): Observe;
  /** `usage` undefined: the request never reached an upstream, so nothing was used. */
  settle(usage: Usage | undefined, model: string): Promise<void>;
}

/** The admission of a request when Sluice runs open: no key, nothing to check or charge. */
export const openAdmission: Admission = {
  keyId: undefined,
  keyName: undefined,
  rateLimits: undefined,
  watch: (observe) => observe,
  settle: async () => {},
};

/** A refused admission: 403 or 429, with the key's rate-limit state for the response headers. */
export class AdmissionRefused extends SluiceError {
  readonly rateLimits: RateLimitState | undefined;

  constructor(code: 'forbidden' | 'rate_limited' | 'budget_exceeded', message: string, rateLimits?: RateLimitState) {
    super(code, message, code === 'rate_limited' && rateLimits ? { retryAfterSeconds: Math.max(1, Math.ceil(rateLimits.resetMs / 1000)) } : {});
    this.rateLimits = rateLimits;
  }
}

/**
 * The access stage before routing: the key → its allowed models (403) → its budget (429
 * `budget_exceeded`) → its rate limits, reserving the request's tokens (429 `rate_limited`). The
 * reservation is the request's `max_tokens` (else the configured default) plus its prompt, estimated at
 * four characters a token.
 */
export async function admitChat(services: AdmissionServices, key: AdmittedKey, request: ChatRequest, promptCharacters: number): Promise<Admission> {
  if (!isModelAllowed(key.models, request.model)) {
    throw new AdmissionRefused('forbidden', `This key may not use model ${JSON.stringify(request.model)}; it may use ${key.models!.map((name) => JSON.stringify(name)).join(', ')}`);
  }
  const price = services.priceOf(request.model);
  if (key.budgetUsd !== null && price === undefined) {
    throw new AdmissionRefused('forbidden', `This key has a budget in dollars and model ${JSON.stringify(request.model)} has no price in SLUICE_MODEL_PRICES`);
  }
  const spent = services.spendOf(key.id);
  if (key.budgetTokens !== null && spent.spentTokens >= key.budgetTokens) {
    throw new AdmissionRefused('budget_exceeded', `This key has spent its budget of ${key.budgetTokens} tokens`);
  }
  if (key.budgetUsd !== null && spent.spentUsd >= key.budgetUsd) {
    throw new AdmissionRefused('budget_exceeded', `This key has spent its budget of $${key.budgetUsd}`);
  }
  let admitted: RateReservation | undefined;
  let rateLimits: RateLimitState | undefined;
  if (key.requestsPerMinute !== null || key.tokensPerMinute !== null) {
    const reserveTokens = Math.ceil(promptCharacters / 4) + (maxTokensOf(request) ?? services.defaultReservationTokens);
    const decision = await services.limiter.admit(key.id, key, reserveTokens);
    rateLimits = decision.state;
    if (!decision.admitted) {
      const limit = decision.exceeded === 'requests' ? `${key.requestsPerMinute} requests` : `${key.tokensPerMinute} tokens`;
      throw new AdmissionRefused('rate_limited', `This key is limited to ${limit} per minute; retry in ${Math.ceil(decision.state.resetMs / 1000)} s`, rateLimits);
    }
    admitted = decision.reservation;
  }
  const reservation = admitted;
  let settled = false;
  /** The reservation's extensions, one after the other; its settle waits for the last. */
  let extending: Promise<void> | undefined;
  return {
    keyId: key.id,
    keyName: key.name,
    rateLimits,
    watch(observe, tally, abort) {
      const budgeted = key.budgetTokens !== null || key.budgetUsd !== null;
      if (!budgeted && reservation === undefined) return observe;
      let crossed = false;
      // The tokens reserved so far; past them the stream reserves more, a default reservation at a time.
      let reservedTokens = reservation?.tokens ?? 0;
      return (part) => {
        const before = observe(part);
        if (part.type !== 'text-delta' && part.type !== 'reasoning-delta' && part.type !== 'tool-call-delta') return before;
        const promptTokens = Math.ceil(tally.promptCharacters / 4);
        const completionTokens = Math.ceil(tally.textCharacters / 4);
        if (reservation !== undefined && promptTokens + completionTokens > reservedTokens) {
          const more = services.defaultReservationTokens;
          reservedTokens += more;
          const previous = extending;
          extending = (async () => {
            await previous;
            await services.limiter.extend(reservation, more);
          })();
        }
        if (!budgeted || crossed) return before;
        const { spentTokens, spentUsd } = services.spendOf(key.id);
        const overTokens = key.budgetTokens !== null && spentTokens + promptTokens + completionTokens >= key.budgetTokens;
        const overUsd = key.budgetUsd !== null && spentUsd + costOf(price, promptTokens, completionTokens) >= key.budgetUsd;
        if (overTokens || overUsd) {
          crossed = true;
          abort(new StreamAbort('budget_exceeded', 'This key spent its budget during the stream'));
        }
        return before;
      };
    },
    async settle(usage, model) {
      if (settled) return;
      settled = true;
      const pending: Promise<void>[] = [];
      if (reservation !== undefined) {
        pending.push(
          (async () => {
            await extending;
            await services.limiter.settle(reservation, usage?.totalTokens ?? 0);
          })(),
        );
      }
      if (usage !== undefined) pending.push(services.charge(key.id, { model, usage, costUsd: costOf(price, usage.promptTokens, usage.completionTokens) }));
      const failures = (await Promise.allSettled(pending)).filter((result) => result.status === 'rejected');
      if (failures.length > 0) throw (failures[0] as PromiseRejectedResult).reason;
    },
  };
}

/** The request's limit on completion tokens, in whichever field its dialect put it. */
function maxTokensOf(request: ChatRequest): number | undefined {
  const value = request.parameters.max_completion_tokens ?? request.parameters.max_tokens;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
