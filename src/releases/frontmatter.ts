import YAML, { LineCounter, isMap, isSeq, isScalar, type Document, type Node } from 'yaml';
import { PresslineError } from '../errors.js';

/** A release file split into its YAML front matter and Markdown body, with line bookkeeping. */
export interface FrontMatterFile {
  doc: Document;
  lineCounter: LineCounter;
  /** File line of the first YAML line (the line after the opening `---`). */
  yamlFirstLine: number;
  body: string;
  /** File line of the first body line. */
  bodyFirstLine: number;
}

/**
 * Splits `---` front matter from the body and parses the YAML. Throws
 * PresslineError('RELEASE_INVALID') naming the file and line for a missing fence or broken YAML.
 */
export function parseFrontMatter(text: string, file: string): FrontMatterFile {
  const src = text.replace(/^\uFEFF/, '');
  const lines = src.split(/\r?\n/);
  if (lines[0]?.trim() !== '---') {
    throw new PresslineError('RELEASE_INVALID', 'a release starts with YAML front matter between two "---" lines', { file, line: 1 });
  }
  let end = -1;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.trimEnd();
    if (l === '---' || l === '...') {
      end = i;
      break;
    }
  }
  if (end < 0) {
    throw new PresslineError('RELEASE_INVALID', 'front matter is not closed: add a "---" line after it', { file, line: 1 });
  }
  const yamlText = lines.slice(1, end).join('\n');
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(yamlText, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const yamlFirstLine = 2;
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = (e.linePos?.[0]?.line ?? 1) + yamlFirstLine - 1;
    throw new PresslineError('RELEASE_INVALID', `malformed YAML front matter: ${e.message.split('\n')[0]}`, { file, line });
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new PresslineError('RELEASE_INVALID', 'front matter must be a YAML mapping of field: value', { file, line: yamlFirstLine });
  }
  return {
    doc,
    lineCounter,
    yamlFirstLine,
    body: lines.slice(end + 1).join('\n'),
    bodyFirstLine: end + 2,
  };
}

/**
 * The file line of the value at `path` (of its key, for map entries); the nearest existing
 * ancestor's line when the path is missing (e.g. a required field left out).
 */
export function lineOfPath(fm: FrontMatterFile, path: readonly PropertyKey[]): number {
  let node: unknown = fm.doc.contents;
  let offset: number | undefined = (node as Node | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyOf(p.key) === String(seg));
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  if (offset === undefined) return fm.yamlFirstLine - 1;
  return fm.lineCounter.linePos(offset).line + fm.yamlFirstLine - 1;
}

function keyOf(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}
