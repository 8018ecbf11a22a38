/**
 * Names a free-form string's place: the property that holds it, and its position (from 1) when it is
 * (or is in) an item of an array. Returns the string to put there.
 */
export type FillString = (name: string, position: number | undefined) => string;

/** A string that names its place: "demo city", "demo tags 2". */
export const placeholderString: FillString = (name, position) => `demo ${name}${position === undefined ? '' : ` ${position}`}`;

type Schema = Record<string, unknown>;

/** Below this depth only what the schema requires is filled, so a recursive schema ends. */
const fullDepth = 4;
const maxDepth = 24;

const formatExamples: Record<string, string> = {
  'date-time': '2025-01-01T12:00:00Z',
  date: '2025-01-01',
  time: '12:00:00Z',
  email: 'demo@example.com',
  uri: 'https://example.com/demo',
  url: 'https://example.com/demo',
  uuid: '00000000-0000-4000-8000-000000000000',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
};

/**
 * A deterministic value that validates against a JSON Schema, for the keywords the demo model reads:
 *
 * - `type`: `object`, `array`, `string`, `number`, `integer`, `boolean`, `null`; a list of types takes
 *   its first one that is not `null`. Without `type`, `properties` means an object and `items` an array.
 * - `enum` (its first value) and `const`.
 * - objects: every property in `properties`, and a string for a `required` name `properties` lacks.
 * - arrays: `items`, `prefixItems`, `minItems`, `maxItems` (two items unless they say otherwise).
 * - strings: `minLength`, `maxLength`, and `format` `date-time`, `date`, `time`, `email`, `uri`, `url`,
 *   `uuid`, `hostname`, `ipv4`; other strings come from `fillString`.
 * - numbers and integers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (as numbers).
 * - `anyOf` and `oneOf`: the first choice that is not `null`; `$ref` to `#`, `#/$defs/...` or
 *   `#/definitions/...` of the root schema.
 *
 * Nothing else is read (`pattern`, `multipleOf`, `allOf`, `not`, `if`, `uniqueItems`, formats not
 * listed, ...), so a schema that depends on those may get a value it rejects.
 */
export function createValueFromSchema(schema: unknown, fillString: FillString): unknown {
  return valueOf(schema, { root: schema, fillString }, 'value', undefined, 0);
}

interface Context {
  root: unknown;
  fillString: FillString;
}

function valueOf(schema: unknown, context: Context, name: string, position: number | undefined, depth: number): unknown {
  if (schema === false || depth > maxDepth) return null;
  if (!isSchema(schema)) return context.fillString(name, position);
  if (typeof schema.$ref === 'string') return valueOf(resolveReference(context.root, schema.$ref), context, name, position, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const choices = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (choices !== undefined && choices.length > 0) {
    const choice = choices.find((candidate) => !(isSchema(candidate) && candidate.type === 'null')) ?? choices[0];
    return valueOf(choice, context, name, position, depth + 1);
  }
  switch (typeOf(schema)) {
    case 'object':
      return objectOf(schema, context, position, depth);
    case 'array':
      return arrayOf(schema, context, name, depth);
    case 'string':
      return stringOf(schema, context, name, position);
    case 'integer':
      return integerWithin(schema, position ?? 1);
    case 'number':
      return numberWithin(schema, position ?? 1);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return context.fillString(name, position);
  }
}

function typeOf(schema: Schema): string | undefined {
  const type = Array.isArray(schema.type) ? (schema.type.find((item) => item !== 'null') ?? schema.type[0]) : schema.type;
  if (typeof type === 'string') return type;
  if (isSchema(schema.properties) || Array.isArray(schema.required)) return 'object';
  if ('items' in schema || Array.isArray(schema.prefixItems)) return 'array';
  return undefined;
}

/** An object's fields take the position of the array item the object is, so that items differ. */
function objectOf(schema: Schema, context: Context, position: number | undefined, depth: number): Record<string, unknown> {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((key) => typeof key === 'string') : []);
  const value: Record<string, unknown> = {};
  for (const [key, propertySchema] of Object.entries(properties)) {
    if (depth < fullDepth || required.has(key)) value[key] = valueOf(propertySchema, context, key, position, depth + 1);
  }
  for (const key of required) if (!(key in value)) value[key] = context.fillString(key, position);
  return value;
}

function arrayOf(schema: Schema, context: Context, name: string, depth: number): unknown[] {
  const prefixItems = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  const wanted = depth < fullDepth ? Math.max(2, prefixItems.length) : minItems;
  const count = Math.min(Math.max(wanted, minItems), maxItems, schema.items === false ? prefixItems.length : Infinity);
  return Array.from({ length: count }, (_, index) => valueOf(prefixItems[index] ?? schema.items, context, name, index + 1, depth + 1));
}

function stringOf(schema: Schema, context: Context, name: string, position: number | undefined): string {
  const example = typeof schema.format === 'string' ? formatExamples[schema.format] : undefined;
  let text = Array.from(example ?? context.fillString(name, position));
  if (typeof schema.maxLength === 'number') text = text.slice(0, schema.maxLength);
  if (typeof schema.minLength === 'number') while (text.length < schema.minLength) text.push('.');
  return text.join('');
}

function integerWithin(schema: Schema, preferred: number): number {
  const lower = Math.max(
    typeof schema.minimum === 'number' ? Math.ceil(schema.minimum) : -Infinity,
    typeof schema.exclusiveMinimum === 'number' ? Math.floor(schema.exclusiveMinimum) + 1 : -Infinity,
  );
  const upper = Math.min(
    typeof schema.maximum === 'number' ? Math.floor(schema.maximum) : Infinity,
    typeof schema.exclusiveMaximum === 'number' ? Math.ceil(schema.exclusiveMaximum) - 1 : Infinity,
  );
  return Math.max(lower, Math.min(upper, preferred));
}

function numberWithin(schema: Schema, preferred: number): number {
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : -Infinity;
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : Infinity;
  const above = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : -Infinity;
  const below = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : Infinity;
  const value = Math.max(minimum, Math.min(maximum, preferred));
  if (value > above && value < below) return value;
  const low = Math.max(minimum, above);
  const high = Math.min(maximum, below);
  if (Number.isFinite(low) && Number.isFinite(high)) return (low + high) / 2;
  return Number.isFinite(low) ? low + 1 : high - 1;
}

/** A local JSON Pointer reference (`#`, `#/$defs/Name`); anything else resolves to the empty schema. */
function resolveReference(root: unknown, reference: string): unknown {
  if (!reference.startsWith('#')) return {};
  let target: unknown = root;
  for (const token of reference.slice(1).split('/').slice(1)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    target = isSchema(target) ? target[key] : undefined;
  }
  return target ?? {};
}

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
