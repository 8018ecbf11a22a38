import { SluiceError } from '@sluice/protocol';

export type PathParams = Record<string, string>;

/**
 * Matches a URL pathname against a pattern such as `/v1/collections/{name}/documents/{id}`: literal
 * segments must be equal, and each `{param}` takes exactly one non-empty segment, percent-decoded (so an
 * id holding `/` travels as `%2F`). Undefined when the path does not match; a malformed percent-encoding
 * in a matching path is a 400.
 */
export function matchPath(pattern: string, pathname: string): PathParams | undefined {
  const expected = pattern.split('/');
  const actual = pathname.split('/');
  if (expected.length !== actual.length) return undefined;
  const matches = expected.every((segment, index) => (segment.startsWith('{') ? actual[index] !== '' : segment === actual[index]));
  if (!matches) return undefined;
  const params: PathParams = {};
  for (const [index, segment] of expected.entries()) {
    if (segment.startsWith('{')) params[segment.slice(1, -1)] = decodeSegment(actual[index]!);
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SluiceError('bad_request', `Path segment ${JSON.stringify(segment)} is not valid percent-encoding`);
  }
}
