import type { DemoTool, DemoToolChoice } from './read-demo-parameters.ts';
import { countSharedWords, significantWords } from './significant-words.ts';

/**
 * The tool the demo model calls: the one `tool_choice` names, else the one whose name and description
 * share the most words with the prompt (the first on a tie), so "Weather in Oslo?" picks `get_weather`
 * over `search_docs`. Undefined when it calls none (`tool_choice` `none`, or no function tools).
 */
export function chooseTool(tools: readonly DemoTool[], toolChoice: DemoToolChoice, prompt: string): DemoTool | undefined {
  if (toolChoice === 'none' || tools.length === 0) return undefined;
  if (typeof toolChoice === 'object') return tools.find((tool) => tool.name === toolChoice.name);
  const promptWords = significantWords(prompt);
  let best = tools[0];
  let bestScore = 0;
  for (const tool of tools) {
    // getWeather and get_weather both read as "get weather".
    const score = countSharedWords(promptWords, `${tool.name.replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2').replaceAll('_', ' ')} ${tool.description}`);
    if (score > bestScore) {
      best = tool;
      bestScore = score;
    }
  }
  return best;
}
