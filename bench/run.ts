/**
 * `npm run bench` (full) and `npm run bench:quick` (under two minutes): every scenario of issue 6
 * against every target that runs here, side by side in one run, written as a Markdown report to
 * bench/results/ and printed.
 *
 * Flags: `--quick`, `--scenarios overhead,cancel`, `--targets direct,sluice,portkey`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LoadProcess, UpstreamProcess } from './harness.ts';
import { formatRatio, formatTable } from './markdown.ts';
import { runCancel } from './scenarios/cancel.ts';
import type { BenchContext, Scenario, ScenarioReport } from './scenarios/context.ts';
import { runFlushBudget } from './scenarios/flush-budget.ts';
import { runNonStreaming } from './scenarios/non-streaming.ts';
import { runOverhead } from './scenarios/overhead.ts';
import { runScale } from './scenarios/scale.ts';
import { runSlowClients } from './scenarios/slow-clients.ts';
import { runThroughput } from './scenarios/throughput.ts';
import { runWorkers } from './scenarios/workers.ts';
import { describeVersions, targets, type TargetName } from './targets.ts';

const scenarios: Record<string, Scenario> = {
  overhead: runOverhead,
  throughput: runThroughput,
  scale: runScale,
  cancel: runCancel,
  'slow-clients': runSlowClients,
  'non-streaming': runNonStreaming,
  'flush-budget': runFlushBudget,
  workers: runWorkers,
};

function describeMachine(): string {
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return `${nproc} cores (\`nproc\`), ${cpuModel}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${kernel}`;
}

function headlineTable(reports: ScenarioReport[], targetNames: TargetName[]): string {
  const peers = targetNames.filter((name) => name !== 'direct');
  const rows = reports.flatMap((report) =>
    report.headlines.map((metric) => {
      const sluice = metric.values.sluice;
      return [
        metric.label,
        ...peers.map((name) => {
          const value = metric.values[name];
          if (value === undefined) return '—';
          // Sluice's own variants (endpoints, protocols) are shown as they are; peers and floors against Sluice.
          if (name.startsWith('sluice')) return metric.format(value);
          // Ratios read "how many times worse than Sluice" whatever the metric's direction.
          const ratio = metric.lowerIsBetter ? formatRatio(value, sluice) : formatRatio(sluice, value);
          return `${metric.format(value)} (${ratio})`;
        }),
      ];
    }),
  );
  return formatTable(['metric', ...peers], rows);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
    },
  });
  const chosenScenarios = values.scenarios?.split(',') ?? Object.keys(scenarios);
  for (const name of chosenScenarios) if (!(name in scenarios)) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
  const chosenTargets = values.targets?.split(',');
  const skipped: string[] = [];
  const available = targets.filter((target) => {
    if (chosenTargets !== undefined && !chosenTargets.includes(target.name)) return false;
    const reason = target.unavailableReason();
    if (reason !== undefined) skipped.push(`${target.name}: ${reason}`);
    return reason === undefined;
  });
  if (available[0]?.name !== 'direct') throw new Error('the direct target is the baseline of every number; keep it in --targets');

  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const resultsDirectory = fileURLToPath(new URL('./results', import.meta.url));
  const logDirectory = `${resultsDirectory}/logs-${stamp}`;
  mkdirSync(logDirectory, { recursive: true });
  const command = `npm run ${values.quick ? 'bench:quick' : 'bench'}${process.argv.length > 2 && !values.quick ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

  const upstream = await UpstreamProcess.start();
  const load = LoadProcess.start();
  const context: BenchContext = {
    quick: values.quick,
    upstream,
    load,
    targets: available,
    logDirectory,
    progress: (message) => console.error(`[${((performance.now()) / 1000).toFixed(0)}s] ${message}`),
  };
  const reports: ScenarioReport[] = [];
  try {
    for (const name of chosenScenarios) {
      await upstream.reset();
      reports.push(await (scenarios[name] as Scenario)(context));
    }
  } finally {
    await load.stop();
    await upstream.stop();
  }

  const versions = describeVersions();
  const durationSeconds = ((Date.now() - startedAt.getTime()) / 1000).toFixed(0);
  const markdown = [
    `## ${values.quick ? 'Quick' : 'Full'} run, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Command: \`${command}\` (${durationSeconds} s)`,
    `- Machine: ${describeMachine()}; shared with other work while measuring, so absolute numbers are noisy: compare the ratios, measured side by side in this one run.`,
    `- Versions: ${Object.entries(versions).map(([name, version]) => `${name} ${version}`).join('; ')}`,
    `- Targets: ${available.map((target) => `**${target.name}**: ${target.description}`).join('; ')}`,
    ...(skipped.length > 0 ? [`- Not measured: ${skipped.join('; ')}`] : []),
    '',
    '### Headline: each peer against Sluice (`sluice` = its OpenAI-compatible endpoint)',
    '',
    'Each cell is the peer\'s value and, in brackets, how many times worse than Sluice it is.',
    '',
    headlineTable(reports, available.map((target) => target.name)),
    '',
    ...reports.flatMap((report) => [`### ${report.title}`, '', report.markdown, '']),
  ].join('\n');
  const reportFile = `${resultsDirectory}/${stamp}-${values.quick ? 'quick' : 'full'}.md`;
  writeFileSync(reportFile, markdown);
  console.log(markdown);
  console.error(`bench: report written to ${reportFile}`);
}

await main();
