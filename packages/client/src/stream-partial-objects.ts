import { parsePartialJson, type SluiceEvent } from '@sluice/protocol';

/** `T` with every property optional, all the way down: the shape of a structured answer mid-stream. */
export type DeepPartial<T> = T extends object ? { [Key in keyof T]?: DeepPartial<T[Key]> } : T;

/**
 * Turns the tokens of a structured-output answer (a ChatStream, any iterable of Sluice events, or of
 * text deltas) into a series of best-effort partial objects, one each time a token changes what the
 * text says so far. The last one yielded is the whole object when the answer was whole JSON; check it
 * against your schema before trusting it.
 */
export async function* streamPartialObjects<T = unknown>(
  source: AsyncIterable<SluiceEvent | string>,
): AsyncGenerator<DeepPartial<T>, void, undefined> {
  let text = '';
  let previous: string | undefined;
  for await (const item of source) {
    if (typeof item === 'string') text += item;
    else if (item.type === 'token') text += item.delta;
    else continue;
    const { value } = parsePartialJson(text);
    if (value === undefined) continue;
    // Serialized to compare: a token inside a string changes the object without changing its keys.
    const serialized = JSON.stringify(value);
    if (serialized === previous) continue;
    previous = serialized;
    yield value as DeepPartial<T>;
  }
}
