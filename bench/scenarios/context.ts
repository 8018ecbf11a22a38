import type { LoadProcess, UpstreamProcess } from '../harness.ts';
import type { StreamsResult, StreamEnding } from '../load.ts';
import type { LaunchOptions, RunningTarget, TargetDefinition, TargetName } from '../targets.ts';

export interface BenchContext {
  quick: boolean;
  upstream: UpstreamProcess;
  load: LoadProcess;
  /** Targets that can run here, "direct" first. */
  targets: TargetDefinition[];
  logDirectory: string;
  progress(message: string): void;
}

/** One number per target for the headline table, with the direction that wins. */
export interface HeadlineMetric {
  label: string;
  lowerIsBetter: boolean;
  format(value: number): string;
  values: Partial<Record<TargetName, number>>;
}

export interface ScenarioReport {
  id: string;
  title: string;
  markdown: string;
  headlines: HeadlineMetric[];
}

export type Scenario = (context: BenchContext) => Promise<ScenarioReport>;

/** What the quick run leaves out to stay under two minutes; the full run measures every target. */
const leftOutOfQuickRuns = new Set<string>([
  // It shares everything but the last encoding step with Sluice's OpenAI endpoint.
  'sluice-events',
  // The HTTP floor is the nearer comparison for Sluice; the TCP floor below it moves little between runs.
  'tcp-proxy',
  // The TLS upstream is measured in quick runs through sluice-h2 and h2-floor, which use it.
  'sluice-tls',
  'http-floor-tls',
  // Portkey stands for the peers in quick runs; the full run measures all three.
  'fastapi',
  'naive-node',
]);

/** Scenarios whose quick runs leave the h2 pair out too: what they measure does not depend on the protocol. */
const http1OnlyInQuickRuns = new Set<string>(['slow-clients', 'non-streaming']);

export function scenarioTargets(context: BenchContext, scenarioId?: string): TargetDefinition[] {
  if (!context.quick) return context.targets;
  const http1Only = scenarioId !== undefined && http1OnlyInQuickRuns.has(scenarioId);
  return context.targets.filter((target) => !leftOutOfQuickRuns.has(target.name) && !(http1Only && (target.name === 'sluice-h2' || target.name === 'h2-floor')));
}

/**
 * Launches every target of a scenario at once, for scenarios that interleave targets to spread the
 * machine's noise evenly over them. A target that fails to start maps to its error.
 */
export async function launchLineup(context: BenchContext, scenarioId: string, launchOptions: Omit<LaunchOptions, 'upstream' | 'logFile'> = {}): Promise<Map<TargetName, RunningTarget | Error>> {
  const lineup = new Map<TargetName, RunningTarget | Error>();
  for (const target of scenarioTargets(context)) {
    context.progress(`${scenarioId}: starting ${target.name}`);
    try {
      lineup.set(target.name, await target.launch({ ...launchOptions, upstream: context.upstream, logFile: `${context.logDirectory}/${scenarioId}-${target.name}.log` }));
    } catch (error) {
      context.progress(`  ${target.name}: ${(error as Error).message}`);
      lineup.set(target.name, error as Error);
    }
  }
  return lineup;
}

export async function stopLineup(lineup: Map<TargetName, RunningTarget | Error>): Promise<void> {
  for (const running of lineup.values()) if (!(running instanceof Error)) await running.stop();
}

/** Launches one target, runs `body`, stops the target; a launch or run failure becomes the returned error. */
export async function withTarget<Result>(
  context: BenchContext,
  target: TargetDefinition,
  scenarioId: string,
  launchOptions: Omit<LaunchOptions, 'upstream' | 'logFile'>,
  body: (running: RunningTarget) => Promise<Result>,
): Promise<Result | Error> {
  let running: RunningTarget | undefined;
  try {
    running = await target.launch({
      ...launchOptions,
      upstream: context.upstream,
      logFile: `${context.logDirectory}/${scenarioId}-${target.name}.log`,
    });
    return await body(running);
  } catch (error) {
    context.progress(`  ${target.name}: ${(error as Error).message}`);
    return error as Error;
  } finally {
    await running?.stop();
  }
}

export function countEndings(result: StreamsResult): Partial<Record<StreamEnding, number>> {
  const endings: Partial<Record<StreamEnding, number>> = {};
  for (const outcome of result.outcomes) endings[outcome.ending] = (endings[outcome.ending] ?? 0) + 1;
  return endings;
}

/** The first stream that did not complete, as "ending: detail" for a table cell. */
export function describeFirstFailure(result: StreamsResult): string | undefined {
  const other = result.outcomes.find((outcome) => outcome.ending !== 'complete');
  if (other === undefined) return undefined;
  return `${other.ending}${other.detail === undefined ? '' : `: ${other.detail.replace(/[|\n]/g, ' ').slice(0, 60)}`}`;
}

/** "198/200" complete, plus the first other ending and its detail, for a table cell. */
export function describeEndings(result: StreamsResult): string {
  const complete = result.outcomes.filter((outcome) => outcome.ending === 'complete').length;
  const failure = describeFirstFailure(result);
  return `${complete}/${result.outcomes.length}${failure === undefined ? '' : ` (${failure})`}`;
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
