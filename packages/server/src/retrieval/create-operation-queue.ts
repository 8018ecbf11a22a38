/**
 * One operation at a time, in the order they were asked for: the returned function runs `work` once
 * every operation queued before it has finished, whether it succeeded or failed.
 */
export function createOperationQueue(): <T>(work: () => T | Promise<T>) => Promise<T> {
  let lastOperation: Promise<unknown> = Promise.resolve();
  return (work) => {
    const result = lastOperation.then(work);
    lastOperation = result.catch(() => undefined);
    return result;
  };
}
