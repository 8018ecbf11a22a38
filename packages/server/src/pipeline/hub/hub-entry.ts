import type { StreamPart } from '@sluice/protocol';

/**
 * One numbered part of a stream's log. Sequences start at 1 (0 is the stream's `meta` event) and grow
 * by one per part, so a reader that asks for "everything after n" can tell a gap from the live edge.
 */
export interface HubEntry {
  sequence: number;
  part: StreamPart;
}
