/** Small formatting helpers for the Markdown report. */

export function formatTable(headers: string[], rows: string[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** Milliseconds with a precision that suits their size: 0.123, 1.23, 12.3, 123. */
export function formatMs(milliseconds: number | undefined): string {
  if (milliseconds === undefined || Number.isNaN(milliseconds)) return '—';
  if (milliseconds === Number.POSITIVE_INFINITY) return 'never';
  const size = Math.abs(milliseconds);
  if (size >= 100) return milliseconds.toFixed(0);
  if (size >= 10) return milliseconds.toFixed(1);
  if (size >= 1) return milliseconds.toFixed(2);
  return milliseconds.toFixed(3);
}

export function formatCount(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  return Math.round(value).toLocaleString('en-US');
}

export function formatMegabytes(bytes: number | undefined): string {
  if (bytes === undefined || Number.isNaN(bytes)) return '—';
  return (bytes / 1_048_576).toFixed(1);
}

export function formatKilobytes(bytes: number | undefined): string {
  if (bytes === undefined || Number.isNaN(bytes)) return '—';
  return (bytes / 1024).toFixed(1);
}

/** `value` of a peer relative to Sluice's, as "3.2×"; lower-is-better metrics divide peer by Sluice. */
export function formatRatio(peer: number | undefined, sluice: number | undefined): string {
  if (peer === undefined || sluice === undefined || Number.isNaN(peer) || Number.isNaN(sluice)) return '—';
  if (sluice <= 0) return peer > 0 ? 'Sluice ≤ 0' : 'both ≤ 0';
  if (peer <= 0) return 'peer ≤ 0';
  const ratio = peer / sluice;
  if (ratio === Number.POSITIVE_INFINITY) return '∞';
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×`;
}
