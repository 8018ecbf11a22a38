/**
 * The checks behind the provider and route settings (SLUICE_PROVIDERS, SLUICE_ROUTES), kept apart from the
 * table of settings in settings.ts, which uses them.
 */

import type { ContinuationMethod } from '@sluice/protocol';
import type { ContinuePolicy, RouteConfig } from '../../pipeline/route-model.ts';

export type ProviderType = 'openai-chat' | 'openai-responses' | 'anthropic-messages';

/** An upstream beyond the built-in ones (SLUICE_PROVIDERS), named so that routes can send models to it. */
export interface ProviderConfig {
  type: ProviderType;
  /** For OpenAI types the base URL with its version path (http://localhost:8000/v1); for Anthropic the API root. */
  baseUrl: string;
  apiKey?: string;
  /** How a cut answer is continued: `prefill` by default for anthropic-messages, `instruction` for the OpenAI types. */
  continuation?: ContinuationMethod;
  /** Offer h2 to an `https` upstream (ALPN). @default true */
  http2?: boolean;
}

const continuationMethods: readonly ContinuationMethod[] = ['prefill', 'continue-final-message', 'instruction'];
const continuationTriggers = ['connection', 'timeout', 'upstream_error'] as const;

const providerTypes: readonly ProviderType[] = ['openai-chat', 'openai-responses', 'anthropic-messages'];

/** Names Sluice gives its own providers: `openai` and `openai-responses` (OPENAI_*), `anthropic` (ANTHROPIC_*), `demo`. */
const builtInProviderNames = ['openai', 'openai-responses', 'anthropic', 'demo'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function checkProviders(value: unknown): Record<string, ProviderConfig> {
  if (!isPlainObject(value)) throw new Error('expected an object mapping provider names to {"type","baseUrl","apiKey","http2"}');
  for (const [name, config] of Object.entries(value)) {
    const where = `provider ${JSON.stringify(name)}`;
    if ((builtInProviderNames as readonly string[]).includes(name)) throw new Error(`${where} is built in; choose another name`);
    if (!isPlainObject(config)) throw new Error(`${where} must be an object`);
    for (const key of Object.keys(config)) if (!['type', 'baseUrl', 'apiKey', 'continuation', 'http2'].includes(key)) throw new Error(`${where} has an unknown field "${key}"`);
    if (!providerTypes.includes(config.type as ProviderType)) throw new Error(`${where}: "type" must be one of ${providerTypes.join(', ')}`);
    if (typeof config.baseUrl !== 'string' || !/^https?:\/\/[^/]/.test(config.baseUrl)) throw new Error(`${where}: "baseUrl" must be an http(s) URL`);
    if (config.apiKey !== undefined && typeof config.apiKey !== 'string') throw new Error(`${where}: "apiKey" must be a string`);
    if (config.http2 !== undefined && typeof config.http2 !== 'boolean') throw new Error(`${where}: "http2" must be true or false`);
    if (config.continuation !== undefined && !continuationMethods.includes(config.continuation as ContinuationMethod)) {
      throw new Error(`${where}: "continuation" must be one of ${continuationMethods.join(', ')}, got ${JSON.stringify(config.continuation)}`);
    }
    config.baseUrl = config.baseUrl.replace(/\/+$/, '');
  }
  return value as Record<string, ProviderConfig>;
}

function checkTarget(value: unknown, where: string): { provider: string; model?: string } {
  if (!isPlainObject(value)) throw new Error(`${where} must be an object with "provider" and optionally "model"`);
  if (typeof value.provider !== 'string' || value.provider === '') throw new Error(`${where}: "provider" must be a provider name`);
  if (value.model !== undefined && (typeof value.model !== 'string' || value.model === '')) throw new Error(`${where}: "model" must be a non-empty string`);
  return value as { provider: string; model?: string };
}

export function checkRoutes(value: unknown): Record<string, RouteConfig> {
  if (!isPlainObject(value)) throw new Error('expected an object mapping model names or patterns to routes');
  for (const [name, route] of Object.entries(value)) {
    const where = `route ${JSON.stringify(name)}`;
    checkTarget(route, where);
    const { fallbacks, continueOnFailure, ...rest } = route as Record<string, unknown>;
    for (const key of Object.keys(rest)) if (!['provider', 'model'].includes(key)) throw new Error(`${where} has an unknown field "${key}"`);
    if (continueOnFailure !== undefined) checkContinuePolicy(continueOnFailure, `${where}: "continueOnFailure"`);
    if (fallbacks === undefined) continue;
    if (!Array.isArray(fallbacks)) throw new Error(`${where}: "fallbacks" must be an array`);
    for (const [index, fallback] of fallbacks.entries()) {
      checkTarget(fallback, `${where} fallbacks[${index}]`);
      for (const key of Object.keys(fallback as object)) if (!['provider', 'model'].includes(key)) throw new Error(`${where} fallbacks[${index}] has an unknown field "${key}"`);
    }
  }
  return value as Record<string, RouteConfig>;
}

function checkContinuePolicy(value: unknown, where: string): ContinuePolicy {
  if (!isPlainObject(value)) throw new Error(`${where} must be an object such as {"on":["connection","timeout","upstream_error"],"max":2}`);
  for (const key of Object.keys(value)) if (!['on', 'max'].includes(key)) throw new Error(`${where} has an unknown field "${key}"`);
  const { on, max } = value;
  if (!Array.isArray(on) || on.length === 0 || on.some((trigger) => !(continuationTriggers as readonly unknown[]).includes(trigger))) {
    throw new Error(`${where}: "on" must be a non-empty array of ${continuationTriggers.join(', ')}, got ${JSON.stringify(on)}`);
  }
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 10) throw new Error(`${where}: "max" must be a whole number from 1 to 10, got ${JSON.stringify(max)}`);
  return value as unknown as ContinuePolicy;
}

/** The providers the settings configure, by the names routes use. */
export function configuredProviderNames(settings: {
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  anthropicApiKey: string | undefined;
  anthropicBaseUrl: string | undefined;
  providers: Record<string, ProviderConfig>;
}): string[] {
  const names: string[] = [];
  if (settings.openaiApiKey !== undefined || settings.openaiBaseUrl !== undefined) names.push('openai', 'openai-responses');
  if (settings.anthropicApiKey !== undefined || settings.anthropicBaseUrl !== undefined) names.push('anthropic');
  return [...names, ...Object.keys(settings.providers)];
}

/** What is wrong when a route names a provider that is not configured, or undefined. */
export function unconfiguredRouteProvider(routes: Record<string, RouteConfig>, configured: string[]): string | undefined {
  const available = new Set([...configured, 'demo']);
  for (const [name, route] of Object.entries(routes)) {
    for (const target of [route, ...(route.fallbacks ?? [])]) {
      if (available.has(target.provider)) continue;
      const hint =
        target.provider === 'anthropic'
          ? ' (set ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL)'
          : target.provider.startsWith('openai')
            ? ' (set OPENAI_API_KEY or OPENAI_BASE_URL)'
            : ` (configured: ${[...available].join(', ')})`;
      return `route ${JSON.stringify(name)} names provider ${JSON.stringify(target.provider)}, which is not configured${hint}`;
    }
  }
  return undefined;
}
