/**
 * Microseconds on CLOCK_MONOTONIC. Every process on the machine reads the same clock, so a time written
 * by the fake upstream can be subtracted from a time read by the load generator.
 */
export function monotonicNowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}
