import { z } from 'zod';
import { describeValue } from '@sluice/protocol';
import { nearestName } from '../nearest-name.ts';

/** The parts of a JSON Schema (as `z.toJSONSchema` writes it) that say what a field expects. */
interface JsonSchema {
  type?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  minItems?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/** What a bad request's message names: the field, what it expected, what it got. */
export interface IssueDescription {
  message: string;
  /** The field's path (`messages[0].content`), or undefined for the request as a whole. */
  param: string | undefined;
}

export interface IssueContext {
  /** The path of the parsed value inside the request (`messages[0].content[1]`), '' for the request itself. */
  at: string;
  /** What a key is called where the request comes from: `field` for a body, `query parameter` for a URL. */
  noun: string;
  /** False when the message is zod's own and not one the schema gave. */
  customMessage: boolean;
}

/**
 * One zod issue in words: `Invalid field "messages[0].content": expected a string, an array of content
 * parts or null, got the number 5`, `Missing field "max_tokens": expected a whole number of at least 1`,
 * `Unknown field "temprature" (did you mean "temperature"?)`. What is expected comes from the schema
 * itself (its JSON Schema, with any `.describe()` text), so every dialect says it the same way.
 */
export function describeIssue(schema: z.ZodType, value: unknown, issue: z.core.$ZodIssue, context: IssueContext): IssueDescription {
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
    // A discriminated union whose `type` is none of its options: that field is the fault.
    const options = 'options' in issue ? (issue.options ?? []) : [];
    const path = issue.path.at(-1) === issue.discriminator ? issue.path : [...issue.path, issue.discriminator];
    return describeField(context, value, path, `one of ${options.map((option) => JSON.stringify(option)).join(', ')}`);
  }
  const deeper = issue.code === 'invalid_union' ? deepestBranchIssue(issue) : undefined;
  if (deeper) return describeIssue(schema, value, { ...deeper, path: [...issue.path, ...deeper.path] }, { ...context, customMessage: false });
  if (issue.code === 'unrecognized_keys') return describeUnknownKeys(schema, issue, context);
  if (context.customMessage) return describeField(context, value, issue.path, undefined, issue.message);
  return describeField(context, value, issue.path, describeSchema(schemaAt(jsonSchemaOf(schema), issue.path)) ?? describeExpectation(issue));
}

/** `Invalid field "x": expected <expected>, got <what>`, `Missing field "x": expected <expected>`, or with the schema's own words. */
function describeField(context: IssueContext, value: unknown, path: readonly PropertyKey[], expected: string | undefined, ownWords?: string): IssueDescription {
  const param = pathText(context.at, path) || undefined;
  const received = valueAt(value, path);
  const subject = param === undefined ? 'Invalid request' : `${received === undefined ? 'Missing' : 'Invalid'} ${context.noun} ${JSON.stringify(param)}`;
  const got = `got ${describeValue(received)}`;
  if (ownWords !== undefined) return { message: `${subject}: ${ownWords}, ${got}`, param };
  return { message: received === undefined ? `${subject}: expected ${expected}` : `${subject}: expected ${expected}, ${got}`, param };
}

/** `Unknown field "temprature" (did you mean "temperature"?)`, the suggestion only when one is close. */
function describeUnknownKeys(schema: z.ZodType, issue: z.core.$ZodIssueUnrecognizedKeys, context: IssueContext): IssueDescription {
  const known = Object.keys(schemaAt(jsonSchemaOf(schema), issue.path)?.properties ?? {});
  const named = issue.keys.map((key) => {
    const nearest = nearestName(key, known, { maxDistance: Math.max(2, Math.floor(key.length / 3)) });
    const field = JSON.stringify(pathText(context.at, [...issue.path, key]));
    return nearest === undefined ? field : `${field} (did you mean ${JSON.stringify(pathText(context.at, [...issue.path, nearest]))}?)`;
  });
  return { message: `Unknown ${context.noun}${named.length === 1 ? '' : 's'} ${named.join(', ')}`, param: pathText(context.at, [...issue.path, issue.keys[0]!]) };
}

/**
 * When no branch of a union fits, the branch that got furthest into the value (an array whose third item
 * lacks a field) says more than "none fits"; when none got past the value itself, undefined.
 */
function deepestBranchIssue(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue | undefined {
  let deepest: z.core.$ZodIssue | undefined;
  for (const branchIssues of issue.errors) {
    for (const branchIssue of branchIssues) {
      if (branchIssue.path.length > 0 && branchIssue.path.length > (deepest?.path.length ?? 0)) deepest = branchIssue;
    }
  }
  return deepest;
}

const jsonSchemas = new WeakMap<z.ZodType, JsonSchema>();

/** The schema's input side as JSON Schema, once per schema (only bad requests ask). */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  let jsonSchema = jsonSchemas.get(schema);
  if (jsonSchema === undefined) {
    jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    jsonSchemas.set(schema, jsonSchema);
  }
  return jsonSchema;
}

function schemaAt(schema: JsonSchema | undefined, path: readonly PropertyKey[]): JsonSchema | undefined {
  let current = schema;
  for (const key of path) current = current === undefined ? undefined : childOf(current, key);
  return current;
}

function childOf(schema: JsonSchema, key: PropertyKey): JsonSchema | undefined {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    for (const branch of branches) {
      const child = childOf(branch, key);
      if (child) return child;
    }
    return undefined;
  }
  if (typeof key === 'number') return schema.type === 'array' ? schema.items : undefined;
  if (schema.type !== 'object') return undefined;
  return schema.properties?.[String(key)] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
}

/** A schema in words (`a whole number from 1 to 50`), or undefined for one that takes anything. */
function describeSchema(schema: JsonSchema | undefined): string | undefined {
  if (schema === undefined) return undefined;
  if (schema.description !== undefined) return schema.description;
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const alternatives = [...new Set(branches.map(describeSchema))];
    return alternatives.includes(undefined) ? undefined : listAlternatives(alternatives as string[]);
  }
  if (schema.enum !== undefined) return `one of ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  switch (schema.type) {
    case 'string':
      return (schema.minLength ?? 0) > 0 ? 'a non-empty string' : 'a string';
    case 'integer':
      return `a whole number${describeRange(schema, 1)}`;
    case 'number':
      return `a number${describeRange(schema, undefined)}`;
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array': {
      const items = schema.items?.type === 'object' ? ' of objects' : schema.items?.type === 'string' ? ' of strings' : '';
      return `${(schema.minItems ?? 0) > 0 ? 'a non-empty array' : 'an array'}${items}`;
    }
    case 'object':
      return 'an object';
    default:
      return undefined;
  }
}

/** ` from 0 to 2`, ` of at least 1`, ` greater than 0`; `step` turns an exclusive bound of whole numbers inclusive. */
function describeRange(schema: JsonSchema, step: number | undefined): string {
  const lowest = schema.minimum ?? (schema.exclusiveMinimum !== undefined && step !== undefined ? schema.exclusiveMinimum + step : undefined);
  const highestGiven = schema.maximum ?? (schema.exclusiveMaximum !== undefined && step !== undefined ? schema.exclusiveMaximum - step : undefined);
  // zod writes the safe-integer bounds of .int() as limits; they are no limit anyone means.
  const highest = highestGiven !== undefined && highestGiven < Number.MAX_SAFE_INTEGER ? highestGiven : undefined;
  if (lowest !== undefined && highest !== undefined) return ` from ${lowest} to ${highest}`;
  if (lowest !== undefined) return ` of at least ${lowest}`;
  if (schema.exclusiveMinimum !== undefined) return ` greater than ${schema.exclusiveMinimum}`;
  if (highest !== undefined) return ` of at most ${highest}`;
  if (schema.exclusiveMaximum !== undefined) return ` less than ${schema.exclusiveMaximum}`;
  return '';
}

function listAlternatives(alternatives: string[]): string {
  return alternatives.length === 1 ? alternatives[0]! : `${alternatives.slice(0, -1).join(', ')} or ${alternatives.at(-1)}`;
}

/** What an issue expected, from the issue alone, where the schema cannot say (a field any JSON may fill). */
function describeExpectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      return `${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum}${unitOf(issue.origin)}`;
    case 'too_big':
      return `${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}${unitOf(issue.origin)}`;
    default:
      return 'a valid value';
  }
}

function unitOf(origin: string): string {
  return origin === 'array' ? ' items' : origin === 'string' ? ' characters' : '';
}

/** `messages[0].content` from a prefix and zod's path. */
function pathText(at: string, path: readonly PropertyKey[]): string {
  let text = at;
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : text === '' ? String(key) : `.${String(key)}`;
  return text;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) current = current !== null && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined;
  return current;
}
