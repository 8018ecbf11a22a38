import type { ContinuationTrigger } from '@sluice/protocol';
import type { Provider } from '../providers/provider.ts';
import { globPattern } from './glob-pattern.ts';

/** One upstream a request may be sent to: which provider, under which model name. */
export interface RouteTarget {
  /** The provider's configured name (`openai`, `anthropic`, a name from SLUICE_PROVIDERS, `demo`), for logs. */
  providerName: string;
  provider: Provider;
  /** The model name sent upstream. */
  upstreamModel: string;
}

export interface ModelRoute {
  /** The model name clients see in responses: always the one they asked for. */
  displayModel: string;
  /**
   * The `model` label of metrics: a configured name (alias, exact route, the default or demo model) or
   * the pattern that matched; `other` for a name that reached the default provider unrouted, so that
   * clients cannot grow the number of series with made-up names.
   */
  metricsModel: string;
  /** Tried in order, each only while nothing has reached the client: the route's target, then its fallbacks. */
  targets: RouteTarget[];
  /** Continue an answer whose upstream fails mid-stream; absent (off) unless the route configures it. */
  continueOnFailure?: ContinuePolicy;
}

/**
 * A route's `continueOnFailure`: when the upstream fails after the first byte for one of the reasons in
 * `on`, another attempt (the same target again, then the route's fallbacks) goes on with the answer from
 * the text already sent, at most `max` times per stream.
 */
export interface ContinuePolicy {
  on: ContinuationTrigger[];
  max: number;
}

/** A route as configured (SLUICE_ROUTES): a provider and model, and the fallbacks to try when it fails. */
export interface RouteConfig {
  provider: string;
  /** The upstream model name; the requested name when absent. */
  model?: string;
  fallbacks?: { provider: string; model?: string }[];
  continueOnFailure?: ContinuePolicy;
}

export interface ModelRouterOptions {
  /** The configured upstreams by name. */
  providers: ReadonlyMap<string, Provider>;
  /** Where a name no route matches goes; undefined in demo mode, when no upstream is configured. */
  defaultProvider: string | undefined;
  demo: Provider;
  demoModel: string;
  /** The model a request that names none gets; a label of its own in metrics. */
  defaultModel?: string;
  /** Aliases (SLUICE_MODELS): a client's model name → the name routed and sent upstream. */
  models: Record<string, string>;
  /** Model names and `*` patterns → routes. Exact names win; patterns are tried in the order given. */
  routes: Record<string, RouteConfig>;
}

/**
 * Picks the upstreams for a client's model name. An alias is resolved first; then a route whose key is
 * the name, then the first route whose pattern matches it; then `claude-*` goes to the `anthropic`
 * provider when one is configured; anything else to the default provider.
 *
 * The demo model answers to its own name always, and to every name when no upstream is configured (then
 * it is named as itself in every response, so nobody mistakes it for the model they asked for).
 */
export function createModelRouter(options: ModelRouterOptions): (model: string) => ModelRoute {
  const providerNamed = (name: string): Provider => {
    const provider = name === 'demo' ? options.demo : options.providers.get(name);
    if (!provider) throw new Error(`No provider named ${JSON.stringify(name)} is configured`);
    return provider;
  };
  const demoRoute: ModelRoute = {
    displayModel: options.demoModel,
    metricsModel: options.demoModel,
    targets: [{ providerName: 'demo', provider: options.demo, upstreamModel: options.demoModel }],
  };
  const patterns = Object.entries(options.routes)
    .filter(([key]) => key.includes('*'))
    .map(([key, route]) => ({ pattern: globPattern(key), route, key }));
  const findRoute = (name: string): { route: RouteConfig; key: string } | undefined => {
    if (Object.hasOwn(options.routes, name)) return { route: options.routes[name]!, key: name };
    const matched = patterns.find(({ pattern }) => pattern.test(name));
    return matched && { route: matched.route, key: matched.key };
  };
  const defaultProvider = options.defaultProvider;
  const anthropic = options.providers.has('anthropic') ? 'anthropic' : undefined;

  return (model) => {
    if (model === options.demoModel || defaultProvider === undefined) return demoRoute;
    const aliased = Object.hasOwn(options.models, model);
    const name = aliased ? (options.models[model] as string) : model;
    const found = findRoute(name);
    const toAnthropic = found === undefined && anthropic !== undefined && name.startsWith('claude-');
    const route = found?.route ?? { provider: toAnthropic ? anthropic : defaultProvider };
    const metricsModel = aliased || name === options.defaultModel ? model : (found?.key ?? (toAnthropic ? 'claude-*' : 'other'));
    const targets = [route, ...(route.fallbacks ?? [])].map((target) => ({
      providerName: target.provider,
      provider: providerNamed(target.provider),
      upstreamModel: target.model ?? name,
    }));
    return route.continueOnFailure === undefined
      ? { displayModel: model, metricsModel, targets }
      : { displayModel: model, metricsModel, targets, continueOnFailure: route.continueOnFailure };
  };
}
