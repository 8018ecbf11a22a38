/**
 * The shared stream contract from the OpenAI Responses and Anthropic Messages upstream adapters: cancel
 * must reach their sockets, their in-stream errors must end streams, their streams must feel
 * backpressure, the same as from the OpenAI-compatible one. Each runs with the Sluice dialect and with
 * its vendor's own client dialect. Then the OpenAI-compatible one over h2 with TLS, as hosted providers
 * are reached: a cancel must reset its upstream stream, its flow-control window must push back.
 */

import { anthropicMessagesReader, openaiResponsesReader, sluiceReader } from '../support/dialect-readers.ts';
import { describeStreamContract, describeTimeContract } from '../support/stream-contract.ts';

for (const [upstream, readers] of [
  ['openai-responses', [sluiceReader, openaiResponsesReader]],
  ['anthropic-messages', [sluiceReader, anthropicMessagesReader]],
] as const) {
  for (const reader of readers) {
    describeStreamContract(reader, upstream);
    describeTimeContract(reader, upstream);
  }
}

describeStreamContract(sluiceReader, 'openai-chat', { upstreamTls: true });
describeTimeContract(sluiceReader, 'openai-chat', { upstreamTls: true });
