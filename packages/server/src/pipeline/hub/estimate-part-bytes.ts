import { assertNever, type StreamPart } from '@sluice/protocol';

/** What a kept entry costs besides its text: the entry and part objects, as V8 lays them out. */
const entryOverheadBytes = 96;

/**
 * About what one part kept in a replay log costs in memory: its text (a byte a character for the ASCII
 * of most answers) and a fixed overhead. Cheap enough for every part: a switch and a length or two.
 */
export function estimatePartBytes(part: StreamPart): number {
  switch (part.type) {
    case 'text-delta':
    case 'reasoning-delta':
      return entryOverheadBytes + part.text.length;
    case 'tool-call-delta':
      return entryOverheadBytes + part.argumentsDelta.length + (part.name?.length ?? 0) + (part.id?.length ?? 0);
    case 'sources':
      return entryOverheadBytes + part.sources.reduce((sum, source) => sum + 64 + source.title.length + source.snippet.length, 0);
    case 'error':
      return entryOverheadBytes + part.message.length;
    case 'response-metadata':
    case 'usage':
    case 'continued':
    case 'finish':
      return entryOverheadBytes;
    default:
      return assertNever(part);
  }
}
