import { Readable } from 'node:stream';
import type { StreamPart } from '@sluice/protocol';
import { loadTranscript } from '../support/fake-provider/transcript.ts';

/** A provider's body reader: bytes of an upstream event stream in, batches of parts out. */
export type StreamReader = (body: Readable) => AsyncIterable<StreamPart[]>;

/** The whole of `test/fixtures/<name>.chunks.txt` as the bytes an upstream would send. */
export function fixtureBytes(name: string): Buffer {
  return Buffer.from(loadTranscript(name).map((frame) => frame.text).join(''), 'utf8');
}

/** Reads `chunks` through `reader`, collecting every part of every batch (none empty), or the error it threw. */
export async function readParts(reader: StreamReader, chunks: Buffer[]): Promise<{ parts: StreamPart[]; error: unknown }> {
  const parts: StreamPart[] = [];
  try {
    for await (const batch of reader(Readable.from(chunks, { objectMode: false }))) {
      if (batch.length === 0) throw new Error('the reader yielded an empty batch');
      parts.push(...batch);
    }
    return { parts, error: undefined };
  } catch (error) {
    return { parts, error };
  }
}

/**
 * Every way the bytes may reach the reader that a test must survive: whole, one byte at a time, and cut
 * in two at every byte boundary (which splits every line, every UTF-8 sequence and every CRLF once).
 */
export function* byteSplits(bytes: Buffer): Generator<{ label: string; chunks: Buffer[] }> {
  yield { label: 'whole', chunks: [bytes] };
  yield { label: 'every byte', chunks: Array.from({ length: bytes.length }, (_, index) => bytes.subarray(index, index + 1)) };
  for (let cut = 1; cut < bytes.length; cut += 1) yield { label: `cut at byte ${cut}`, chunks: [bytes.subarray(0, cut), bytes.subarray(cut)] };
}

/** Joins adjacent deltas, so that two readings compare by what they say rather than by how they were cut. */
export function textOf(parts: StreamPart[], type: 'text-delta' | 'reasoning-delta'): string {
  return parts.map((part) => (part.type === type ? part.text : '')).join('');
}
