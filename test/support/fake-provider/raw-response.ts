import type { FakeResponse, UpstreamTransport } from './upstream-transport.ts';
import type { Scenario } from './scenario.ts';
import type { WireWriter } from './wire-writer.ts';

/**
 * Answers with exactly the scenario's `raw` bytes, chunk by chunk (a turn of the event loop between
 * them, so each can arrive on its own), then ends, cuts or holds the response: for generated upstream
 * streams that are valid up to a point and then are not.
 */
export async function sendRawResponse(
  response: FakeResponse,
  transport: UpstreamTransport,
  writer: WireWriter,
  raw: NonNullable<Scenario['raw']>,
  headers: Record<string, string>,
): Promise<void> {
  response.writeHead(raw.status ?? 200, { ...(raw.contentType === undefined ? {} : { 'content-type': raw.contentType }), ...headers });
  (response as FakeResponse & { flushHeaders(): void }).flushHeaders();
  for (const chunk of raw.chunks) {
    if (!(await writer.write(chunk)) || !(await writer.yieldTurn())) return;
  }
  switch (raw.ending) {
    case 'end':
      response.end();
      return;
    case 'cut':
      await transport.cut();
      return;
    case 'hang':
      await writer.untilClosed();
      return;
    default:
      throw new Error(`Unknown ending: ${raw.ending satisfies never}`);
  }
}
