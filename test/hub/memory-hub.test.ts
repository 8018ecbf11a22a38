import { createMemoryHub } from '../../packages/server/src/pipeline/hub/memory-hub.ts';
import { contractOptions, runHubContract } from './hub-contract.ts';

runHubContract(
  'memory',
  async () => {
    const hub = createMemoryHub(contractOptions);
    return { producerHub: hub, readerHub: hub, overflowEntries: contractOptions.maxEntries * 2, close: () => hub.close() };
  },
  true,
);
