// Preloaded (`node --import`) into peers profiled by bench/profile.ts: `--cpu-prof` writes its profile
// only on a normal exit, and the peers have no SIGTERM handler of their own.
process.once('SIGTERM', () => process.exit(0));
