/**
 * How the fake upstream should stream one request. It travels in the request's `model`, the one field
 * every relay under test forwards unchanged, e.g. `bench:tokens=100,tps=50,per=1,ttft=0,record=none`.
 */
export interface StreamSpec {
  tokens: number;
  tokensPerSecond: number;
  tokensPerEvent: number;
  firstTokenDelayMs: number;
  /** `summary`: keep when the socket closed and how many tokens went out; `times`: also each write time. */
  record: 'none' | 'summary' | 'times';
}

const MODEL_PREFIX = 'bench:';

export function formatStreamModel(spec: StreamSpec): string {
  return `${MODEL_PREFIX}tokens=${spec.tokens},tps=${spec.tokensPerSecond},per=${spec.tokensPerEvent},ttft=${spec.firstTokenDelayMs},record=${spec.record}`;
}

export function parseStreamModel(model: string): StreamSpec {
  if (!model.startsWith(MODEL_PREFIX)) throw new Error(`model "${model}" does not start with "${MODEL_PREFIX}"`);
  const fields = new Map<string, string>();
  for (const pair of model.slice(MODEL_PREFIX.length).split(',')) {
    const [key, value] = pair.split('=');
    if (key !== undefined && value !== undefined) fields.set(key, value);
  }
  const spec: StreamSpec = {
    tokens: Number(fields.get('tokens') ?? 20),
    tokensPerSecond: Number(fields.get('tps') ?? 50),
    tokensPerEvent: Number(fields.get('per') ?? 1),
    firstTokenDelayMs: Number(fields.get('ttft') ?? 0),
    record: (fields.get('record') ?? 'none') as StreamSpec['record'],
  };
  if (!(spec.tokens >= 1 && Number.isInteger(spec.tokens))) throw new Error('tokens must be a positive integer');
  if (!(spec.tokensPerSecond > 0)) throw new Error('tps must be positive');
  if (!(spec.tokensPerEvent >= 1 && Number.isInteger(spec.tokensPerEvent))) throw new Error('per must be a positive integer');
  if (!(spec.firstTokenDelayMs >= 0)) throw new Error('ttft must be zero or positive');
  if (!['none', 'summary', 'times'].includes(spec.record)) throw new Error('record must be none, summary or times');
  return spec;
}

/** Events the upstream sends for a spec: the last event may carry fewer tokens. */
export function countEvents(spec: StreamSpec): number {
  return Math.ceil(spec.tokens / spec.tokensPerEvent);
}

/** The message content that names a stream, so the fake upstream can file its record under that id. */
export function formatStreamPrompt(streamId: string): string {
  return `bench-stream ${streamId}`;
}

export function parseStreamPrompt(content: unknown): string | undefined {
  if (typeof content !== 'string' || !content.startsWith('bench-stream ')) return undefined;
  return content.slice('bench-stream '.length);
}
