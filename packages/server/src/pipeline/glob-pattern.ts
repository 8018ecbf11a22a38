/** `claude-*` → /^claude-.*$/: `*` stands for any run of characters, everything else for itself. */
export function globPattern(glob: string): RegExp {
  const source = glob
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`);
}
