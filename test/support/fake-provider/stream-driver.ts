import { performance } from 'node:perf_hooks';
import type { EventStream } from './endpoint.ts';
import type { Scenario } from './scenario.ts';
import type { FakeResponse, UpstreamTransport } from './upstream-transport.ts';
import type { WireWriter } from './wire-writer.ts';
import { writeEndlessLine } from './endless-line.ts';

/** What the driver reports back onto the request record as it writes. */
export interface TokenCounter {
  tokensSent: number;
  lastTokenAt: number | undefined;
  completed: boolean;
}

/**
 * Writes the frames of a stream whose headers are already sent, with the scenario's pacing and fault.
 * Returns when the response ended, was cut, or the client went away.
 */
export async function driveStream(
  response: FakeResponse,
  transport: UpstreamTransport,
  writer: WireWriter,
  stream: EventStream,
  scenario: Scenario,
  counter: TokenCounter,
): Promise<void> {
  const fault = scenario.fault;
  const intervalMs = scenario.tokenIntervalMs ?? 0;
  let tokenWritten = false;
  for (const frame of stream.frames) {
    if (writer.closed) return;
    if (fault && frame.phase !== 'head' && counter.tokensSent >= fault.afterTokens) {
      await breakStream(response, transport, writer, stream, fault);
      return;
    }
    if (frame.tokens > 0) {
      const delayMs = tokenWritten ? intervalMs : (scenario.firstTokenDelayMs ?? 0);
      if (delayMs > 0 && !(await writer.wait(delayMs))) return;
      // Even "as fast as possible" lets timers and the client's close get a turn.
      if (delayMs === 0 && tokenWritten && !(await writer.yieldTurn())) return;
    }
    if (!(await writer.write(frame.text))) return;
    if (frame.tokens > 0) {
      tokenWritten = true;
      counter.tokensSent += frame.tokens;
      counter.lastTokenAt = performance.now();
    }
  }
  await endResponse(response, counter);
}

async function breakStream(response: FakeResponse, transport: UpstreamTransport, writer: WireWriter, stream: EventStream, fault: NonNullable<Scenario['fault']>) {
  const kind = fault.kind;
  switch (kind) {
    case 'cut':
      // No terminating chunk (HTTP/1.1) or END_STREAM (h2): the client sees the body break off after
      // the tokens already written.
      await transport.cut();
      return;
    case 'hang':
      await writer.untilClosed();
      return;
    case 'garbage':
      if (await writer.write(fault.data === undefined ? stream.garbageFrame() : `data: ${fault.data}\n\n`)) response.end();
      return;
    case 'endless-line':
      await writeEndlessLine(writer, 'data: {"delta":"', fault.bytes);
      return;
    case 'error-event':
      if (await writer.write(stream.errorFrame())) response.end();
      return;
    default:
      throw new Error(`Unknown fault kind: ${kind satisfies never}`);
  }
}

export function endResponse(response: FakeResponse, counter: TokenCounter): Promise<void> {
  return new Promise((resolve) => {
    response.once('close', resolve);
    response.end(() => {
      counter.completed = true;
      resolve();
    });
  });
}
