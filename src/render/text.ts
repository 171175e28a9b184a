import type { Token, Tokens } from 'marked';
import { lexMarkdown } from './markdown.js';

export const TEXT_WIDTH = 76;

/** Greedy word wrap at `width` columns; words longer than a line stay whole (URLs). */
export function wrap(text: string, width = TEXT_WIDTH, firstIndent = '', indent = firstIndent): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    const words = para.split(/[ \t]+/).filter((w) => w !== '');
    let line = out.length === 0 ? firstIndent : indent;
    let lineHasWord = false;
    const lead = () => (out.length === 0 ? firstIndent : indent);
    for (const w of words) {
      if (lineHasWord && [...line].length + 1 + [...w].length > width) {
        out.push(line);
        line = lead() + w;
      } else {
        line += (lineHasWord ? ' ' : '') + w;
      }
      lineHasWord = true;
    }
    out.push(line.trimEnd());
  }
  return out.join('\n');
}

/** Inline tokens → plain text; links become "text <url>" unless the text already is the URL. */
export function inlineText(tokens: readonly Token[] | undefined): string {
  if (!tokens) return '';
  let out = '';
  for (const t of tokens) {
    switch (t.type) {
      case 'link': {
        const l = t as Tokens.Link;
        const text = inlineText(l.tokens);
        const bare = l.href.replace(/^(https?:\/\/|mailto:|tel:)/i, '').replace(/\/$/, '');
        out += text === l.href || text === bare ? text : `${text} <${l.href}>`;
        break;
      }
      case 'image': {
        const i = t as Tokens.Image;
        out += i.text ? `[${i.text}]` : '';
        break;
      }
      case 'br':
        out += '\n';
        break;
      case 'codespan':
        out += `\`${(t as Tokens.Codespan).text}\``;
        break;
      case 'strong':
      case 'em':
      case 'del':
        out += inlineText((t as Tokens.Strong).tokens);
        break;
      case 'text': {
        const tt = t as Tokens.Text;
        out += tt.tokens ? inlineText(tt.tokens) : tt.text;
        break;
      }
      case 'escape':
      case 'html':
        out += (t as Tokens.Escape).text;
        break;
      default:
        out += 'tokens' in t && Array.isArray(t.tokens) ? inlineText(t.tokens) : (t.raw ?? '');
    }
  }
  return out;
}

/** Block tokens → plain-text blocks (joined by blank lines), wrapped to `width`. */
function blocks(tokens: readonly Token[], width: number): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    switch (t.type) {
      case 'space':
      case 'def':
        break;
      case 'heading': {
        const h = t as Tokens.Heading;
        const text = inlineText(h.tokens).replace(/\s+/g, ' ').trim();
        const len = Math.min([...text].length, width);
        out.push(h.depth === 1 ? `${text}\n${'='.repeat(len)}` : h.depth === 2 ? `${text}\n${'-'.repeat(len)}` : text);
        break;
      }
      case 'paragraph':
        out.push(wrap(inlineText((t as Tokens.Paragraph).tokens).replace(/[ \t]*\n[ \t]*/g, ' '), width));
        break;
      case 'text': {
        const tt = t as Tokens.Text;
        out.push(wrap((tt.tokens ? inlineText(tt.tokens) : tt.text).replace(/[ \t]*\n[ \t]*/g, ' '), width));
        break;
      }
      case 'list': {
        const l = t as Tokens.List;
        const start = typeof l.start === 'number' ? l.start : 1;
        const items = l.items.map((item, i) => {
          const marker = l.ordered ? `${start + i}. ` : '- ';
          const pad = ' '.repeat(marker.length);
          const inner = blocks(item.tokens, width - marker.length).join(item.loose ? '\n\n' : '\n');
          return inner
            .split('\n')
            .map((line, j) => (j === 0 ? marker : line === '' ? '' : pad) + line)
            .join('\n');
        });
        out.push(items.join(l.loose ? '\n\n' : '\n'));
        break;
      }
      case 'blockquote': {
        const inner = blocks((t as Tokens.Blockquote).tokens, width - 2).join('\n\n');
        out.push(inner.split('\n').map((line) => (line === '' ? '>' : `> ${line}`)).join('\n'));
        break;
      }
      case 'code':
        out.push((t as Tokens.Code).text.split('\n').map((line) => `    ${line}`).join('\n'));
        break;
      case 'hr':
        out.push('-'.repeat(Math.min(width, 20)));
        break;
      case 'table': {
        const tb = t as Tokens.Table;
        const row = (cells: Tokens.TableCell[]) => cells.map((c) => inlineText(c.tokens)).join(' | ');
        out.push([row(tb.header), ...tb.rows.map(row)].join('\n'));
        break;
      }
      case 'html':
        out.push(wrap((t as Tokens.HTML).text.trim(), width));
        break;
      default:
        if (t.raw?.trim()) out.push(wrap(t.raw.trim(), width));
    }
  }
  return out;
}

/** Release Markdown → plain text: headings underlined, paragraphs wrapped, lists, quotes, links as "text <url>". */
export function markdownToText(markdown: string, width = TEXT_WIDTH): string {
  return blocks(lexMarkdown(markdown), width).join('\n\n');
}
