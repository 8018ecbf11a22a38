import { globPattern } from '../glob-pattern.ts';

const compiled = new WeakMap<readonly string[], RegExp[]>();

/** True when `model` is one of a key's allowed names or matches one of its `*` patterns; null allows every model. */
export function isModelAllowed(allowed: readonly string[] | null, model: string): boolean {
  if (allowed === null) return true;
  if (allowed.includes(model)) return true;
  let patterns = compiled.get(allowed);
  if (patterns === undefined) {
    patterns = allowed.filter((name) => name.includes('*')).map(globPattern);
    compiled.set(allowed, patterns);
  }
  return patterns.some((pattern) => pattern.test(model));
}
