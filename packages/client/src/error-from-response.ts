import { SluiceClientError, toClientErrorCode, type SluiceClientErrorCode } from './client-error.ts';

/** Error bodies larger than this are cut: the message is for people, not a data channel. */
const maxErrorBodyChars = 16_384;

/**
 * Turns a non-2xx response into a SluiceClientError, keeping the server's `code` and `message` from an
 * OpenAI-style body (`{"error":{"message","code","type","param"}}`) and falling back to the status.
 */
export async function errorFromResponse(response: Response): Promise<SluiceClientError> {
  let bodyText = '';
  try {
    bodyText = (await response.text()).slice(0, maxErrorBodyChars);
  } catch {
    // The body is optional for the error; the status alone still says what happened.
  }
  const fallbackCode = codeForStatus(response.status);
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
  const details = readOpenAIErrorBody(bodyText);
  const message = details?.message ?? describeStatus(response, bodyText);
  return new SluiceClientError(toClientErrorCode(details?.code, fallbackCode), message, {
    status: response.status,
    retryable: isRetryableStatus(response.status),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    ...(details?.param === undefined ? {} : { param: details.param }),
  });
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 502 || status === 503 || status === 504;
}

function codeForStatus(status: number): SluiceClientErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    case 502:
      return 'upstream_error';
    case 503:
      return 'overloaded';
    case 504:
      return 'upstream_timeout';
    default:
      return status >= 500 ? 'internal' : 'bad_request';
  }
}

function readOpenAIErrorBody(text: string): { message?: string; code?: unknown; param?: string } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const error = (body as { error?: unknown }).error;
  if (error === null || typeof error !== 'object') return undefined;
  const { message, code, type, param } = error as Record<string, unknown>;
  return {
    ...(typeof message === 'string' ? { message } : {}),
    code: code ?? type,
    ...(typeof param === 'string' ? { param } : {}),
  };
}

function describeStatus(response: Response, bodyText: string): string {
  const summary = bodyText.trim().replace(/\s+/g, ' ').slice(0, 200);
  const statusLine = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return summary === '' ? statusLine : `${statusLine}: ${summary}`;
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
