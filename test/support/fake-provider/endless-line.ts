import type { WireWriter } from './wire-writer.ts';

/**
 * Writes `prefix`, then filler for `bytes` bytes without ever ending the line, then holds the response
 * open until the client goes away: the upstream whose one event never ends.
 */
export async function writeEndlessLine(writer: WireWriter, prefix: string, bytes = 8 * 1_048_576): Promise<void> {
  const piece = 'x'.repeat(64 * 1024);
  if (!(await writer.write(prefix))) return;
  for (let written = 0; written < bytes; written += piece.length) if (!(await writer.write(piece))) return;
  await writer.untilClosed();
}
