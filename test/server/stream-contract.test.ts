/**
 * The shared stream contract (test/support/stream-contract.ts), run against every client dialect read
 * from the OpenAI-compatible upstream: exact text, cancel, in-band errors, backpressure. Its time half is
 * in stream-time-contract.test.ts, and test/providers/stream-contract.test.ts runs both from the other
 * upstream adapters.
 */

import { dialectReaders } from '../support/dialect-readers.ts';
import { describeStreamContract } from '../support/stream-contract.ts';

for (const reader of dialectReaders) describeStreamContract(reader);
