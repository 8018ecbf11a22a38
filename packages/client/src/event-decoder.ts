import type { EventSourceMessage } from 'eventsource-parser';
import type { SluiceEvent } from '@sluice/protocol';

export interface DecodedMessage {
  events: SluiceEvent[];
  /** True once the stream's last event has been read (`done`, `error`, `[DONE]`); nothing after it counts. */
  terminal: boolean;
}

/**
 * Translates one wire dialect's SSE messages into Sluice events. A decoder throws a SluiceClientError
 * (`malformed_stream`) for a message it cannot read; it never guesses.
 */
export interface EventDecoder {
  /** Called with every response (first and resumed) before its messages, for headers such as the request id. */
  begin?(response: Response): void;
  decode(message: EventSourceMessage): DecodedMessage;
}
