/**
 * The parts of the OpenAI Responses event stream that Sluice reads
 * (https://platform.openai.com/docs/api-reference/responses-streaming). Each SSE message is named, and its
 * `data` is a JSON object whose `type` equals the name. Event types Sluice does not relay (content part
 * and item bookkeeping, built-in tool progress) are skipped. Fields are optional and checked where used.
 */

export interface ResponseUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
}

export interface ResponseObject {
  id?: string;
  model?: string;
  status?: string;
  usage?: ResponseUsage | null;
  incomplete_details?: { reason?: string } | null;
  error?: { code?: string | null; message?: string } | null;
}

export interface OutputItem {
  type?: string;
  id?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
}

export interface ResponseStreamEvent {
  type?: string;
  /** `response.created`, `response.in_progress`, `response.completed`, `response.incomplete`, `response.failed`. */
  response?: ResponseObject;
  /** `response.output_item.added` / `.done`. */
  item?: OutputItem;
  output_index?: number;
  item_id?: string;
  /** Text deltas (`output_text`, `refusal`, `reasoning_text`, `reasoning_summary_text`) and argument fragments. */
  delta?: string;
  /** The `error` event. */
  code?: string | null;
  message?: string;
}
