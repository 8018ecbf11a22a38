import { AsyncLocalStorage } from 'node:async_hooks';

/** Ends one stream because of an error nothing in its own code caught. */
export type EndStreamOnStrayError = (error: unknown) => void;

// Node 24 carries this through every callback and promise a stream's code starts (AsyncContextFrame),
// with no async hook and no per-token cost, so a stray error can be traced back to its stream.
const scope = new AsyncLocalStorage<EndStreamOnStrayError>();

/** Runs a stream's work so that an error it leaves uncaught anywhere ends that stream, not the process. */
export function runInStreamScope<T>(endStream: EndStreamOnStrayError, work: () => T): T {
  return scope.run(endStream, work);
}

/** The stream whose code is running now, if any. */
export function currentStreamScope(): EndStreamOnStrayError | undefined {
  return scope.getStore();
}
