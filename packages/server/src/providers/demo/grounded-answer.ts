import type { ChatGrounding } from '@sluice/protocol';
import { countSharedWords, significantWords } from './significant-words.ts';
import { quoteQuestion, shortenLine } from './shorten-line.ts';

const maxQuotes = 3;
const maxSentenceChars = 300;

/**
 * A grounded answer the way the demo model can give one: from each source, the sentence that shares the
 * most words with the question, cited `[n]` by the source's number; up to three, leaving out sources that
 * share less than half of what the best one shares.
 * When no source shares a word with the question (or retrieval found none), it says that the documents
 * do not answer it, rather than guessing.
 */
export function composeGroundedAnswer(grounding: ChatGrounding): string {
  const question = quoteQuestion(grounding.question);
  if (grounding.sources.length === 0) {
    return `No document in this collection matched ${question}, so **sluice-demo** (the demo model) has nothing to answer from. Try other words, or add documents that cover it.`;
  }
  const questionWords = significantWords(grounding.question);
  const matches = grounding.sources.map((source, index) => ({ number: index + 1, ...bestSentence(source.text, questionWords) }));
  const bestScore = Math.max(...matches.map((match) => match.score));
  // Sources that share less than half of what the best one shares are only loosely about the question.
  const quotes = matches
    .filter((match) => match.score > 0 && match.score >= bestScore / 2)
    .slice(0, maxQuotes)
    .map((match) => `- ${match.sentence} [${match.number}]`);
  const found = `${grounding.sources.length} source${grounding.sources.length === 1 ? '' : 's'}`;
  if (quotes.length === 0) {
    return `None of the ${found} found for ${question} says anything about it, so the documents do not answer this question. (**sluice-demo**, the demo model, only quotes what the sources say.)`;
  }
  return [
    `From the ${found} found for ${question}, **sluice-demo** (the demo model) quotes what bears on it; a real model would write the answer in its own words:`,
    quotes.join('\n'),
  ].join('\n\n');
}

/** The sentence of `text` that shares the most words with the question (the first on a tie), and how many it shares. */
function bestSentence(text: string, questionWords: ReadonlySet<string>): { sentence: string; score: number } {
  let best = { sentence: '', score: 0 };
  for (const sentence of sentencesOf(text)) {
    const score = countSharedWords(questionWords, sentence);
    if (score > best.score) best = { sentence, score };
  }
  return best;
}

/**
 * Sentences of a chunk's text, lines first (Markdown headings and list items are lines), Markdown markers
 * off, bracketed numbers made parenthesised.
 */
function sentencesOf(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)/, '').trim())
    .flatMap((line) => line.split(/(?<=[.!?])\s+/))
    .filter((sentence) => sentence !== '')
    // A bracketed number in the source's own text would read as a citation of another source.
    .map((sentence) => sentence.replace(/\[(\^?\d[^\]]*)\]/g, '($1)'))
    .map((sentence) => shortenLine(sentence, maxSentenceChars));
}
