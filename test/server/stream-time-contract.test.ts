/** The time half of the shared stream contract (heartbeats, content timeouts, send timeout), for every client dialect. */

import { dialectReaders } from '../support/dialect-readers.ts';
import { describeTimeContract } from '../support/stream-contract.ts';

for (const reader of dialectReaders) describeTimeContract(reader);
