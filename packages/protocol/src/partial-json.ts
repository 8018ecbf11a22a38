export type PartialJsonState =
  /** The text is one whole JSON value. */
  | 'complete'
  /** The text is the beginning of a JSON value; `value` holds what it says so far. */
  | 'partial'
  /** The text can never become JSON; `value` is undefined. */
  | 'invalid';

export interface PartialJsonResult {
  value: unknown;
  state: PartialJsonState;
}

/** Thrown inside the parser only; never escapes `parsePartialJson`. */
class InvalidJson extends Error {}

const missing = Symbol('missing');

/**
 * Best-effort parse of the beginning of a JSON text, for showing a structured answer while it streams.
 * An unfinished string keeps what it has, an unfinished number the digits so far, `tr` becomes `true`;
 * an object key whose value has not started yet is left out, so every key present has a value.
 * A Markdown code fence around the JSON (```json) is ignored, since models often add one.
 */
export function parsePartialJson(text: string): PartialJsonResult {
  const json = stripCodeFence(text);
  try {
    // The exact answer when the text is already whole (a bare number cannot tell otherwise).
    return { value: JSON.parse(json), state: 'complete' };
  } catch {
    // Not whole yet: parse what is there.
  }
  const parser = new PartialJsonParser(json);
  try {
    const value = parser.parseValue();
    if (value === missing) return { value: undefined, state: parser.truncated ? 'partial' : 'invalid' };
    if (parser.truncated) return { value, state: 'partial' };
    parser.skipWhitespace();
    return parser.atEnd() ? { value, state: 'complete' } : { value: undefined, state: 'invalid' };
  } catch (error) {
    if (error instanceof InvalidJson) return { value: undefined, state: 'invalid' };
    throw error;
  }
}

function stripCodeFence(text: string): string {
  const opening = /^\s*```[\w-]*[^\S\n]*\n/.exec(text);
  if (opening === null) return text;
  const body = text.slice(opening[0].length);
  const closing = body.lastIndexOf('```');
  return closing === -1 ? body : body.slice(0, closing);
}

class PartialJsonParser {
  readonly #text: string;
  #position = 0;
  /** Set when the text ran out inside a value: parsing stops and every open container is closed. */
  truncated = false;

  constructor(text: string) {
    this.#text = text;
  }

  atEnd(): boolean {
    return this.#position >= this.#text.length;
  }

  skipWhitespace(): void {
    while (!this.atEnd() && ' \t\n\r'.includes(this.#text[this.#position]!)) this.#position += 1;
  }

  parseValue(): unknown {
    this.skipWhitespace();
    if (this.atEnd()) {
      this.truncated = true;
      return missing;
    }
    const character = this.#text[this.#position]!;
    if (character === '{') return this.#parseObject();
    if (character === '[') return this.#parseArray();
    if (character === '"') return this.#parseString();
    if (character === '-' || (character >= '0' && character <= '9')) return this.#parseNumber();
    return this.#parseLiteral();
  }

  #parseObject(): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    this.#position += 1;
    while (true) {
      this.skipWhitespace();
      if (this.#endsHere()) return object;
      if (this.#text[this.#position] === '}') {
        this.#position += 1;
        return object;
      }
      if (this.#text[this.#position] !== '"') throw new InvalidJson();
      const key = this.#parseString();
      if (this.truncated) return object;
      this.skipWhitespace();
      if (this.#endsHere()) return object;
      if (this.#text[this.#position] !== ':') throw new InvalidJson();
      this.#position += 1;
      const value = this.parseValue();
      if (value !== missing) object[key] = value;
      if (this.truncated) return object;
      if (this.#afterItem('}')) return object;
    }
  }

  #parseArray(): unknown[] {
    const array: unknown[] = [];
    this.#position += 1;
    this.skipWhitespace();
    if (this.#text[this.#position] === ']') {
      this.#position += 1;
      return array;
    }
    while (true) {
      const value = this.parseValue();
      if (value !== missing) array.push(value);
      if (this.truncated) return array;
      if (this.#afterItem(']')) return array;
    }
  }

  /** After an item: true at the closing bracket, false after a comma. */
  #afterItem(closing: string): boolean {
    this.skipWhitespace();
    if (this.#endsHere()) return true;
    const character = this.#text[this.#position];
    this.#position += 1;
    if (character === closing) return true;
    if (character === ',') return false;
    throw new InvalidJson();
  }

  #parseString(): string {
    let value = '';
    this.#position += 1;
    while (!this.atEnd()) {
      const character = this.#text[this.#position]!;
      if (character === '"') {
        this.#position += 1;
        return value;
      }
      if (character !== '\\') {
        if (character < ' ') throw new InvalidJson();
        value += character;
        this.#position += 1;
        continue;
      }
      const escape = this.#text[this.#position + 1];
      if (escape === undefined) break;
      if (escape === 'u') {
        const hex = this.#text.slice(this.#position + 2, this.#position + 6);
        if (!/^[0-9a-fA-F]*$/.test(hex)) throw new InvalidJson();
        if (hex.length < 4) break;
        value += String.fromCharCode(Number.parseInt(hex, 16));
        this.#position += 6;
        continue;
      }
      const decoded = simpleEscapes[escape];
      if (decoded === undefined) throw new InvalidJson();
      value += decoded;
      this.#position += 2;
    }
    this.truncated = true;
    return value;
  }

  #parseNumber(): number | typeof missing {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.#text.slice(this.#position));
    const rest = this.#text.slice(this.#position + (match?.[0].length ?? 0));
    // Only the end of the text may cut a number short ("1." or "1e" or "-"); anywhere else it is an error.
    if (match === null || /^[.eE+-]/.test(rest)) {
      if (!/^-?[\d.eE+-]*$/.test(this.#text.slice(this.#position))) throw new InvalidJson();
      this.#position = this.#text.length;
      this.truncated = true;
      return match === null ? missing : Number(match[0]);
    }
    this.#position += match[0].length;
    if (this.atEnd()) this.truncated = true;
    return Number(match[0]);
  }

  #parseLiteral(): boolean | null {
    const rest = this.#text.slice(this.#position, this.#position + 5);
    for (const [word, value] of literals) {
      if (rest.startsWith(word)) {
        this.#position += word.length;
        return value;
      }
      if (word.startsWith(rest) && this.#position + rest.length === this.#text.length) {
        this.#position = this.#text.length;
        this.truncated = true;
        return value;
      }
    }
    throw new InvalidJson();
  }

  #endsHere(): boolean {
    if (!this.atEnd()) return false;
    this.truncated = true;
    return true;
  }
}

const simpleEscapes: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

const literals: ReadonlyArray<readonly [string, boolean | null]> = [
  ['true', true],
  ['false', false],
  ['null', null],
];
