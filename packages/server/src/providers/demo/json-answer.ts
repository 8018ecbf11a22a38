import { createValueFromSchema, placeholderString } from './json-from-schema.ts';
import type { DemoResponseFormat } from './read-demo-parameters.ts';
import { shortenLine } from './shorten-line.ts';

/**
 * The demo model's answer to a request for JSON, as indented JSON text (streamed token by token like
 * any answer, so partial objects show). With `json_schema` it is a value built from the schema
 * (`createValueFromSchema` lists the keywords it reads); with `json_object`, an object that says what
 * answered.
 */
export function composeJsonAnswer(format: Exclude<DemoResponseFormat, { type: 'text' }>, question: string): string {
  const value =
    format.type === 'json_schema'
      ? createValueFromSchema(format.schema, placeholderString)
      : {
          model: 'sluice-demo',
          demo: true,
          question: shortenLine(question, 80),
          answer: 'This JSON comes from sluice-demo, the built-in demo model; set OPENAI_API_KEY to have a real model answer.',
        };
  return JSON.stringify(value, null, 2);
}
