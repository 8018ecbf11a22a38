import { assertNever, type StreamPart } from '@sluice/protocol';
import type { EgressDialect, EgressEncoder } from '../egress-dialect.ts';

/**
 * Plain text for the simplest clients (`curl -N`, a `fetch` reading text): the answer's text as it comes,
 * chunked, nothing else. Text has no way to say "failed", so a failure after the first byte is written
 * as a last line, `[error <code>] <message>`, for a person reading it, and then the connection is cut
 * without the chunked body's terminator, so that every HTTP client reports an incomplete body instead of
 * taking the text for a whole answer. No heartbeats: they would be text.
 */
export const plainTextDialect: EgressDialect = {
  name: 'plain-text',
  contentType: 'text/plain; charset=utf-8',
  heartbeat: undefined,
  cutOnError: true,
  createEncoder(): EgressEncoder {
    return {
      start: () => '',
      encode(parts: readonly StreamPart[]) {
        let out = '';
        for (const part of parts) {
          switch (part.type) {
            case 'text-delta':
              out += part.text;
              break;
            case 'error':
              out += `\n[error ${part.code}] ${part.message}\n`;
              break;
            case 'reasoning-delta':
            case 'tool-call-delta':
            case 'usage':
            case 'finish':
            case 'response-metadata':
            case 'sources':
            case 'continued':
              break;
            default:
              assertNever(part);
          }
        }
        return out;
      },
    };
  },
};
