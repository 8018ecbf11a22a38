/**
 * Server-Sent Events encoding (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * Every `data` here is JSON.stringify output, which never holds a raw CR or LF, so one `data:` line
 * per event is always enough.
 */

export function encodeSseEvent(event: string | undefined, data: string, id?: string): string {
  let out = '';
  if (id !== undefined) out += `id: ${id}\n`;
  if (event !== undefined) out += `event: ${event}\n`;
  return `${out}data: ${data}\n\n`;
}

export function encodeSseComment(text: string): string {
  return `: ${text}\n\n`;
}

/** Tells an `EventSource` how long to wait before reconnecting. */
export function encodeSseRetry(milliseconds: number): string {
  return `retry: ${Math.max(0, Math.round(milliseconds))}\n\n`;
}
