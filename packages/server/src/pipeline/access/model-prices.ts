import { globPattern } from '../glob-pattern.ts';

/** US dollars per million tokens, as providers publish their prices. */
export interface ModelPrice {
  input: number;
  output: number;
}

/**
 * The price of a model (SLUICE_MODEL_PRICES): the entry named exactly as the client named the model,
 * else the first `*` pattern that matches it; undefined for a model without a price.
 */
export function createPriceList(prices: Record<string, ModelPrice>): (model: string) => ModelPrice | undefined {
  const patterns = Object.entries(prices)
    .filter(([name]) => name.includes('*'))
    .map(([name, price]) => ({ pattern: globPattern(name), price }));
  return (model) => (Object.hasOwn(prices, model) ? prices[model] : patterns.find(({ pattern }) => pattern.test(model))?.price);
}

export function costOf(price: ModelPrice | undefined, promptTokens: number, completionTokens: number): number {
  if (price === undefined) return 0;
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}
