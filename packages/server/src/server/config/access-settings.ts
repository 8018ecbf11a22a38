/**
 * The checks behind the access settings (SLUICE_CORS_ORIGINS, SLUICE_MODEL_PRICES, the secrets), kept
 * apart from the table of settings in settings.ts, which uses them.
 */

import type { ModelPrice } from '../../pipeline/access/model-prices.ts';

/** `*`, or origins as browsers send them: scheme, host and port, no path. */
export function checkCorsOrigins(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '') : value;
  if (!Array.isArray(list)) throw new Error('expected "*" or a comma-separated list of origins such as https://app.example.com');
  for (const origin of list) {
    if (origin === '*') {
      if (list.length > 1) throw new Error('"*" allows every origin: give it alone');
      continue;
    }
    if (typeof origin !== 'string' || !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new Error(`expected an origin such as https://app.example.com (scheme, host, optional port, no path), got ${JSON.stringify(origin)}`);
    }
  }
  return list as string[];
}

export function checkModelPrices(value: unknown): Record<string, ModelPrice> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected an object mapping model names or patterns to {"input","output"}');
  for (const [model, price] of Object.entries(value)) {
    const where = `model ${JSON.stringify(model)}`;
    if (price === null || typeof price !== 'object' || Array.isArray(price)) throw new Error(`${where} must map to {"input","output"}`);
    for (const key of Object.keys(price)) if (key !== 'input' && key !== 'output') throw new Error(`${where} has an unknown field "${key}"`);
    for (const key of ['input', 'output'] as const) {
      const dollars = (price as Record<string, unknown>)[key];
      if (typeof dollars !== 'number' || !Number.isFinite(dollars) || dollars < 0) throw new Error(`${where}: "${key}" must be US dollars per million tokens (a number, 0 or more)`);
    }
  }
  return value as Record<string, ModelPrice>;
}

/** A secret that guards something (the admin API, stream tokens): long enough not to be guessed. */
export function checkSecret(minimumLength: number): (value: unknown) => string | undefined {
  return (value) => {
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new Error('expected a string');
    if (value.length < minimumLength) throw new Error(`expected at least ${minimumLength} characters (got ${value.length}); generate one with: openssl rand -base64 32`);
    return value;
  };
}
