/**
 * The shared stream contract (test/support/stream-contract.ts), both halves, over h2: over cleartext h2
 * with prior knowledge for the dialects whose writing differs (Sluice events: SSE with ids and
 * heartbeats; OpenAI chat completions, the dialect most clients use; plain text, whose failure is a
 * reset stream, not a terminating event), and over h2 with TLS (ALPN) for the Sluice events; each
 * suite's requests are streams of one shared connection. What h2 changes is the writer's side
 * (flow-control backpressure, RST_STREAM cancel and cut, heartbeats, the send timeout); the other
 * dialects' encoders are the same bytes over either protocol, and run over HTTP/1.1 in
 * stream-contract.test.ts.
 */

import { openaiChatReader, plainTextReader, sluiceReader } from '../support/dialect-readers.ts';
import { describeStreamContract, describeTimeContract } from '../support/stream-contract.ts';

for (const reader of [sluiceReader, openaiChatReader, plainTextReader]) {
  describeStreamContract(reader, 'openai-chat', { client: 'h2c' });
  describeTimeContract(reader, 'openai-chat', { client: 'h2c' });
}
describeStreamContract(sluiceReader, 'openai-chat', { client: 'h2' });
describeTimeContract(sluiceReader, 'openai-chat', { client: 'h2' });
