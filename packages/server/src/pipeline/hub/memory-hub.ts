import { unknownStream } from './hub-errors.ts';
import { LocalStreams } from './local-streams.ts';
import type { HubReader, HubStreamOptions, StreamHub } from './stream-hub.ts';

/** The default hub: resumable within this instance, for `retentionMs` after a stream's end. */
export function createMemoryHub(options: HubStreamOptions): StreamHub {
  const streams = new LocalStreams(options);
  return {
    shared: false,
    async create(meta, handlers, options = {}) {
      return streams.create(meta, handlers, { background: options.background }, options.activeKey);
    },
    async open(streamId, afterSequence): Promise<HubReader> {
      const stream = streams.get(streamId);
      if (!stream) throw unknownStream(streamId);
      return stream.openReader(afterSequence);
    },
    async meta(streamId) {
      return streams.get(streamId)?.meta;
    },
    async cancel(streamId) {
      const stream = streams.get(streamId);
      if (!stream) return 'not_found';
      return stream.cancel() ? 'cancelled' : 'finished';
    },
    async read(streamId) {
      const stream = streams.get(streamId);
      if (!stream) throw unknownStream(streamId);
      return { meta: stream.meta, entries: stream.entries() };
    },
    async findActive(activeKey) {
      return streams.findActive(activeKey);
    },
    async close() {
      streams.clear();
    },
  };
}
