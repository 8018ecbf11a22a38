import { SluiceError } from '@sluice/protocol';
import type { DocumentFormat } from './document.ts';
import { readMarkdownBlocks, type MarkdownBlock } from './read-markdown-blocks.ts';

export interface ChunkingOptions {
  /** Longest chunk, in characters (about a quarter as many tokens in English). @default 1200 */
  maxChunkChars: number;
  /**
   * How much of the end of a chunk is repeated at the start of the next one of the same section, in
   * characters, cut at a sentence or word boundary. Never carried across a heading. @default 200
   */
  overlapChars: number;
}

export const defaultChunkingOptions: Readonly<ChunkingOptions> = Object.freeze({ maxChunkChars: 1200, overlapChars: 200 });

export interface Chunk {
  /** Position in the document, from 0. */
  index: number;
  /** The Markdown headings the chunk sits under, outermost first; empty before the first heading. */
  headingPath: string[];
  text: string;
}

const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Splits a document into chunks that follow its structure: a chunk never spans two sections (a heading
 * starts a new one), holds whole paragraphs, lists, code blocks or tables when they fit, and splits a
 * block that does not fit at sentence, then word boundaries. Chunks of one section overlap.
 */
export function chunkDocument(text: string, format: DocumentFormat, options: ChunkingOptions = defaultChunkingOptions): Chunk[] {
  assertChunkingOptions(options);
  const normalized = text.replace(/\r\n?/g, '\n');
  const blocks = format === 'markdown' ? readMarkdownBlocks(normalized) : readParagraphs(normalized);
  const pieceLimit = options.maxChunkChars - options.overlapChars;
  const chunks: Chunk[] = [];
  let current: MarkdownBlock | undefined;

  const flush = () => {
    if (current !== undefined) chunks.push({ index: chunks.length, headingPath: current.headingPath, text: current.text });
    current = undefined;
  };

  for (const block of blocks) {
    const pieces = block.text.length > options.maxChunkChars ? splitLongText(block.text, pieceLimit) : [block.text];
    pieces.forEach((piece, pieceIndex) => {
      // Pieces of one split paragraph read on as one paragraph.
      const separator = pieceIndex === 0 ? '\n\n' : ' ';
      if (current !== undefined && !sameHeadingPath(current.headingPath, block.headingPath)) flush();
      if (current === undefined) {
        current = { headingPath: block.headingPath, text: piece };
      } else if (current.text.length + separator.length + piece.length <= options.maxChunkChars) {
        current.text += separator + piece;
      } else {
        const overlap = takeOverlap(current.text, options.overlapChars);
        flush();
        const withOverlap = overlap === '' ? piece : overlap + separator + piece;
        current = { headingPath: block.headingPath, text: withOverlap.length <= options.maxChunkChars ? withOverlap : piece };
      }
    });
  }
  flush();
  return chunks;
}

function assertChunkingOptions(options: ChunkingOptions): void {
  const { maxChunkChars, overlapChars } = options;
  if (!Number.isInteger(maxChunkChars) || maxChunkChars < 100) {
    throw new SluiceError('bad_request', 'maxChunkChars must be an integer of at least 100', { param: 'maxChunkChars' });
  }
  if (!Number.isInteger(overlapChars) || overlapChars < 0 || overlapChars > maxChunkChars / 2) {
    throw new SluiceError('bad_request', 'overlapChars must be an integer from 0 to half of maxChunkChars', { param: 'overlapChars' });
  }
}

function readParagraphs(text: string): MarkdownBlock[] {
  return text
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '')
    .map((paragraph) => ({ headingPath: [], text: paragraph }));
}

function sameHeadingPath(left: string[], right: string[]): boolean {
  return left === right || (left.length === right.length && left.every((heading, index) => heading === right[index]));
}

/** Splits text longer than `limit` into pieces of at most `limit`: by sentences, then words, then hard. */
function splitLongText(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let current = '';
  const append = (unit: string, separator: string) => {
    if (current === '') current = unit;
    else if (current.length + separator.length + unit.length <= limit) current += separator + unit;
    else {
      pieces.push(current);
      current = unit;
    }
  };
  for (const { segment } of sentenceSegmenter.segment(text)) {
    const sentence = segment.trim();
    if (sentence === '') continue;
    if (sentence.length <= limit) {
      append(sentence, ' ');
      continue;
    }
    for (const word of sentence.split(/\s+/)) {
      if (word.length <= limit) append(word, ' ');
      else for (const slice of sliceHard(word, limit)) append(slice, '');
    }
  }
  if (current !== '') pieces.push(current);
  return pieces;
}

function sliceHard(word: string, limit: number): string[] {
  const slices: string[] = [];
  let start = 0;
  while (start < word.length) {
    let end = Math.min(start + limit, word.length);
    // Never cut a surrogate pair in two.
    if (end < word.length && /[\uDC00-\uDFFF]/.test(word[end]!)) end -= 1;
    slices.push(word.slice(start, end));
    start = end;
  }
  return slices;
}

/** The end of `text`, at most `overlapChars` long, starting at a sentence start or else a word start. */
function takeOverlap(text: string, overlapChars: number): string {
  if (overlapChars === 0) return '';
  const tail = text.slice(-overlapChars);
  if (tail.length === text.length) return text;
  let sentenceStart = -1;
  for (const { index } of sentenceSegmenter.segment(tail)) {
    if (index > 0) {
      sentenceStart = index;
      break;
    }
  }
  if (sentenceStart > 0) return tail.slice(sentenceStart).trim();
  const wordStart = tail.search(/\s\S/);
  return wordStart === -1 ? '' : tail.slice(wordStart + 1).trim();
}
