/** Replaces secrets in text with this marker. */
export const redactedMarker = '[redacted]';

/**
 * A run of this many characters copied from a secret is redacted wherever it appears. Eight, because
 * upstreams quote keys in part: OpenAI's 401 shows the first and last few characters
 * (`sk-proj-abc...wxyz`), logs and proxies truncate. Eight characters of a random key are about 48 bits,
 * enough to pick it out of a leak, and a random run that long in ordinary text matching one of a
 * handful of secrets by chance is vanishingly rare, so nothing else is lost. Shorter quotes are caught
 * in their masked form (`prefix…suffix` around `*`, `...` or `…`, see below).
 */
export const secretFragmentLength = 8;

/**
 * A run of lowercase letters only is left to the whole-secret rule: a made-up key such as
 * `sk-embeddings-secret` would otherwise redact every "embedding" in the text. Of a random key's runs
 * few are lowercase only, and the runs around them are still caught.
 */
const wordLike = /^[a-z]+$/;

/**
 * Secrets shorter than this are not redacted at all: a two-letter password would turn every word that
 * holds it into noise. Such a secret protects nothing anyway.
 */
const shortestRedactedSecret = 4;

/** Text with every configured secret taken out, whole or in part. */
export type Redact = (text: string) => string;

/**
 * Builds the one redactor of an instance from its secrets (see `configuredSecrets`): each secret whole;
 * any run of `secretFragmentLength` characters of one; and a masked quotation of one, a prefix of at
 * least 3 characters and a suffix of at least 2 around a mask. Text without a secret comes back as it
 * was (the same string), and costs a set look-up per character.
 */
export function createRedactor(secrets: readonly string[]): Redact {
  const usable = [...new Set(secrets)].filter((secret) => secret.length >= shortestRedactedSecret);
  if (usable.length === 0) return (text) => text;
  const fragments = new Set<string>();
  for (const secret of usable) {
    for (let start = 0; start + secretFragmentLength <= secret.length; start += 1) {
      const fragment = secret.slice(start, start + secretFragmentLength);
      if (!wordLike.test(fragment)) fragments.add(fragment);
    }
  }
  const shortSecrets = usable.filter((secret) => secret.length < secretFragmentLength);
  return (text) => redactMasked(redactRuns(text, fragments, shortSecrets), usable);
}

/** Marks every character covered by a fragment (or a short secret) and collapses each marked run into one marker. */
function redactRuns(text: string, fragments: ReadonlySet<string>, shortSecrets: readonly string[]): string {
  let marks: Uint8Array | undefined;
  const mark = (start: number, length: number): void => {
    marks ??= new Uint8Array(text.length);
    marks.fill(1, start, start + length);
  };
  for (let start = 0; start + secretFragmentLength <= text.length; start += 1) {
    if (fragments.has(text.slice(start, start + secretFragmentLength))) mark(start, secretFragmentLength);
  }
  for (const secret of shortSecrets) {
    for (let found = text.indexOf(secret); found !== -1; found = text.indexOf(secret, found + 1)) mark(found, secret.length);
  }
  if (marks === undefined) return text;
  let out = '';
  for (let index = 0; index < text.length; index += 1) {
    if (marks[index] === 0) out += text[index];
    else if (index === 0 || marks[index - 1] === 0) out += redactedMarker;
  }
  return out;
}

// A word, a mask, a word: how keys are quoted in part (`sk-abc...wxyz`, `sk-proj-****wxyz`, `sk-a…yz`),
// however the words run on into the text around them.
// Keys are written in URL-safe or plain base64 characters.
const maskedQuotation = /([\w+/=-]{3,})(?:\*+|\.{2,}|…)([\w+/=-]{2,})/g;

function redactMasked(text: string, secrets: readonly string[]): string {
  if (!text.includes('*') && !text.includes('..') && !text.includes('…')) return text;
  return text.replace(maskedQuotation, (quotation, head: string, tail: string) =>
    secrets.some((secret) => endsWithStartOf(head, secret) && startsWithEndOf(tail, secret)) ? redactedMarker : quotation,
  );
}

/** Whether `head` ends with at least 3 characters that begin `secret` (whatever stands before them). */
function endsWithStartOf(head: string, secret: string): boolean {
  for (let length = Math.min(head.length, secret.length - 2); length >= 3; length -= 1) {
    if (secret.startsWith(head.slice(head.length - length))) return true;
  }
  return false;
}

/** Whether `tail` starts with at least 2 characters that end `secret` (whatever follows them). */
function startsWithEndOf(tail: string, secret: string): boolean {
  for (let length = Math.min(tail.length, secret.length - 3); length >= 2; length -= 1) {
    if (secret.endsWith(tail.slice(0, length))) return true;
  }
  return false;
}
