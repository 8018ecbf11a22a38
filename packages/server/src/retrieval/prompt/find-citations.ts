/**
 * The source numbers an answer cites, ascending and without repeats: `[1]`, `[2][3]`, `[1, 3]`,
 * `[2-4]` (a range), and footnote style `[^1]`. Numbers outside 1..sourceCount are not citations of a
 * source (a year in brackets, a list index) and are left out. Meant for the whole answer once it ends, so
 * a citation split across deltas is still found.
 */
export function findCitations(answer: string, sourceCount: number): number[] {
  const cited = new Set<number>();
  for (const [, list] of answer.matchAll(/\[\^?(\d+(?:\s*[-–,;]\s*\d+)*)\]/g)) {
    for (const item of list!.split(/\s*[,;]\s*/)) {
      const [first, last = first] = item.split(/\s*[-–]\s*/).map(Number);
      // A range is read only when it is short and ascending; "[1-1000]" is not a citation of 1000 sources.
      if (last! < first! || last! - first! > sourceCount) continue;
      for (let number = first!; number <= last!; number++) {
        if (number >= 1 && number <= sourceCount) cited.add(number);
      }
    }
  }
  return [...cited].sort((left, right) => left - right);
}
