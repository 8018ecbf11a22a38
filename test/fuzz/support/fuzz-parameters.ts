import type { Parameters } from 'fast-check';

/**
 * How many runs each property makes: a bounded number in `npm test`, more with `npm run fuzz`
 * (SLUICE_FUZZ_RUNS). A failure prints its seed and path; SLUICE_FUZZ_SEED replays that seed.
 */
export function fuzzParameters<T>(defaultRuns: number): Parameters<T> {
  const runs = Number(process.env.SLUICE_FUZZ_RUNS ?? defaultRuns);
  const seed = process.env.SLUICE_FUZZ_SEED;
  // A run that hangs fails after 10 s with its counterexample, instead of holding the suite.
  return { numRuns: runs, endOnFailure: true, verbose: 1, timeout: 10_000, ...(seed === undefined ? {} : { seed: Number(seed) }) };
}
