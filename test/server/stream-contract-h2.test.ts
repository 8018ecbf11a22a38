/**
 * The shared stream contract (test/support/stream-contract.ts), both halves, over h2: every client
 * dialect over cleartext h2 with prior knowledge, and the Sluice event dialect over h2 with TLS (ALPN),
 * each test's requests as streams of one shared connection. The writer's h2 side (flow-control
 * backpressure, RST_STREAM cancel and cut, heartbeats, the send timeout) is what differs from HTTP/1.1;
 * TLS only changes how the connection is made.
 */

import { dialectReaders, sluiceReader } from '../support/dialect-readers.ts';
import { describeStreamContract, describeTimeContract } from '../support/stream-contract.ts';

for (const reader of dialectReaders) {
  describeStreamContract(reader, 'openai-chat', { client: 'h2c' });
  describeTimeContract(reader, 'openai-chat', { client: 'h2c' });
}
describeStreamContract(sluiceReader, 'openai-chat', { client: 'h2' });
describeTimeContract(sluiceReader, 'openai-chat', { client: 'h2' });
