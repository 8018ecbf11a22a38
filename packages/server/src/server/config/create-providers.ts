import { createAnthropicMessagesProvider } from '../../providers/anthropic-messages/anthropic-messages-provider.ts';
import { createOpenAIChatProvider } from '../../providers/openai-chat/openai-chat-provider.ts';
import { createOpenAIResponsesProvider } from '../../providers/openai-responses/openai-responses-provider.ts';
import type { Provider } from '../../providers/provider.ts';
import type { UpstreamPools } from '../../providers/upstream-http.ts';
import type { ProviderConfig } from './provider-settings.ts';
import type { Settings } from './settings.ts';

export interface ConfiguredProviders {
  /** Every configured upstream by the name routes use. */
  providers: Map<string, Provider>;
  /** Where unrouted models go: `openai`, else `anthropic`, else the first of SLUICE_PROVIDERS; undefined in demo mode. */
  defaultProvider: string | undefined;
  /** The model a request that names none gets, for the default provider. */
  defaultModel: string | undefined;
}

/** Builds the providers the settings configure, sharing the keep-alive pools: h2 for each https upstream that allows it. */
export function createProviders(settings: Settings, pools: UpstreamPools): ConfiguredProviders {
  const providers = new Map<string, Provider>();
  if (settings.openaiApiKey !== undefined || settings.openaiBaseUrl !== undefined) {
    const baseUrl = settings.openaiBaseUrl ?? 'https://api.openai.com/v1';
    const openai = { baseUrl, apiKey: settings.openaiApiKey, pool: pools.forUpstream(baseUrl, settings.openaiHttp2), maxEventBytes: settings.maxUpstreamEventBytes };
    providers.set('openai', createOpenAIChatProvider(openai));
    providers.set('openai-responses', createOpenAIResponsesProvider(openai));
  }
  if (settings.anthropicApiKey !== undefined || settings.anthropicBaseUrl !== undefined) {
    const anthropic: ProviderConfig = { type: 'anthropic-messages', baseUrl: settings.anthropicBaseUrl ?? 'https://api.anthropic.com', apiKey: settings.anthropicApiKey, http2: settings.anthropicHttp2 };
    providers.set('anthropic', createProvider(anthropic, settings, pools));
  }
  for (const [name, config] of Object.entries(settings.providers)) providers.set(name, createProvider(config, settings, pools));
  const defaultProvider = providers.has('openai') ? 'openai' : providers.has('anthropic') ? 'anthropic' : providers.keys().next().value;
  const defaultModel = defaultProvider === undefined ? undefined : defaultProvider === 'anthropic' ? 'claude-haiku-4-5' : 'gpt-4o-mini';
  return { providers, defaultProvider, defaultModel };
}

function createProvider(config: ProviderConfig, settings: Settings, pools: UpstreamPools): Provider {
  const pool = pools.forUpstream(config.baseUrl, config.http2 ?? true);
  const maxEventBytes = settings.maxUpstreamEventBytes;
  switch (config.type) {
    case 'openai-chat':
      return createOpenAIChatProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey, pool, continuation: config.continuation, maxEventBytes });
    case 'openai-responses':
      return createOpenAIResponsesProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey, pool, continuation: config.continuation, maxEventBytes });
    case 'anthropic-messages':
      // Anthropic's SDKs take the API root; a base URL that ends in /v1, as OpenAI's do, is accepted too.
      return createAnthropicMessagesProvider({
        baseUrl: config.baseUrl.replace(/\/v1\/?$/, ''),
        apiKey: config.apiKey,
        pool,
        maxEventBytes,
        defaultMaxTokens: settings.anthropicMaxTokens,
        continuation: config.continuation,
      });
    default:
      throw new Error(`Unknown provider type ${JSON.stringify(config.type satisfies never)}`);
  }
}
