/**
 * OpenAI's error body, `{"error":{"message","type","param","code"}}`
 * (https://platform.openai.com/docs/guides/error-codes), with the type and code the API uses per status.
 */

const byStatus: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Invalid request.', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { message: 'You are not allowed to sample from this model.', type: 'invalid_request_error', code: null },
  404: { message: 'The model does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' },
  429: { message: 'Rate limit reached for requests.', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
};

export function openAiErrorBody(status: number): { error: { message: string; type: string; param: null; code: string | null } } {
  const known = byStatus[status] ?? {
    message: `Upstream failed with status ${status}.`,
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
  };
  return { error: { message: known.message, type: known.type, param: null, code: known.code } };
}
