import type { ChatMessage, ChatRequest } from '@sluice/protocol';
import { chooseTool } from './choose-tool.ts';
import { composeDemoAnswer } from './demo-text.ts';
import { composeGroundedAnswer } from './grounded-answer.ts';
import { hashText } from './hash-text.ts';
import { composeJsonAnswer } from './json-answer.ts';
import type { DemoParameters } from './read-demo-parameters.ts';
import { createToolArguments } from './tool-arguments.ts';
import { composeToolResultAnswer, trailingToolResults } from './tool-result-answer.ts';

/** What the demo model writes: text, or one call of a tool with its JSON arguments. */
export type DemoReply = { kind: 'text'; text: string } | { kind: 'tool-call'; id: string; name: string; arguments: string };

/**
 * The demo model's reply to a request, the first of these that applies:
 * 1. tools given (and `tool_choice` not `none`) and the conversation does not end with tool results:
 *    a call of one of them (`chooseTool`), with arguments that fit its schema;
 * 2. `response_format` `json_object` or `json_schema`: JSON (`composeJsonAnswer`);
 * 3. the conversation ends with tool results: an answer that repeats them;
 * 4. a grounded request (`retrieval`): an answer quoted from the sources, cited `[n]`;
 * 5. otherwise a canned answer to the last user message.
 * The same request always gets the same reply.
 */
export function composeDemoReply(request: ChatRequest, parameters: DemoParameters): DemoReply {
  const question = request.grounding?.question ?? lastUserText(request.messages);
  const toolResults = trailingToolResults(request.messages);
  const tool = toolResults.length === 0 ? chooseTool(parameters.tools, parameters.toolChoice, question) : undefined;
  if (tool !== undefined) {
    // Named after the conversation, so each turn's call has its own id.
    const id = `call_demo_${hashText(JSON.stringify(request.messages)).toString(16).padStart(8, '0')}`;
    return { kind: 'tool-call', id, name: tool.name, arguments: JSON.stringify(createToolArguments(tool.parameters, question)) };
  }
  const format = parameters.responseFormat;
  if (format.type !== 'text') return { kind: 'text', text: composeJsonAnswer(format, question) };
  if (toolResults.length > 0) return { kind: 'text', text: composeToolResultAnswer(request.messages, toolResults, question) };
  if (request.grounding !== undefined) return { kind: 'text', text: composeGroundedAnswer(request.grounding) };
  return { kind: 'text', text: composeDemoAnswer(question) };
}

/** The text of the last user message: its string, or its text parts joined. */
function lastUserText(messages: readonly ChatMessage[]): string {
  const content = messages.findLast((message) => message.role === 'user')?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '')).join(' ');
}
