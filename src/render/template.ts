/**
 * Release-level template slots, filled once per variant before MJML compiles the result:
 *   {% title %}             the value, HTML-escaped
 *   {% body | raw %}        a value that is already safe HTML (the rendered Markdown)
 *   {% if subtitle %} … {% else %} … {% endif %}   ({% if not x %} too)
 *   {% for c in contacts %} … {% endfor %}
 *   {# a comment, dropped #}
 * Per-recipient {{ merge }} tags in the template text are left to the `literal` callback.
 * The expansion keeps a line map so MJML's line numbers point back into the template file.
 */
import { PresslineError } from '../errors.js';
import { escapeHtml } from '../html/escape.js';

type Node =
  | { type: 'text'; text: string; line: number }
  | { type: 'out'; path: string[]; raw: boolean; line: number }
  | { type: 'if'; path: string[]; negate: boolean; then: Node[]; otherwise: Node[]; line: number }
  | { type: 'for'; name: string; path: string[]; body: Node[]; line: number };

/** Template output plus, per output line (0-based), the template line (1-based) it came from. */
export interface ExpandedTemplate {
  text: string;
  lineMap: number[];
}

export interface ExpandOptions {
  file: string;
  /** Called on each literal stretch of template text with the line it starts on. */
  literal?: (text: string, line: number) => string;
}

const TAG_RE = /\{%\s*([\s\S]*?)\s*%\}|(?<!\{)\{#[\s\S]*?#\}/g;

/** Parses the template once; expand() may then run per variant. */
export function parseTemplate(src: string, file: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Node & { type: 'if' | 'for' }; inElse: boolean }[] = [];
  let target = root;
  let last = 0;
  const lineAt = (i: number) => countLines(src, 0, i) + 1;
  const fail = (msg: string, line: number): never => {
    throw new PresslineError('TEMPLATE_INVALID', msg, { file, line });
  };
  for (const m of src.matchAll(TAG_RE)) {
    if (m.index > last) target.push({ type: 'text', text: src.slice(last, m.index), line: lineAt(last) });
    last = m.index + m[0].length;
    if (m[1] === undefined) continue; // {# comment #}
    const line = lineAt(m.index);
    const body = m[1];
    let k: RegExpExecArray | null;
    if ((k = /^if\s+(not\s+)?([\w.]+)$/.exec(body))) {
      const node = { type: 'if' as const, path: k[2]!.split('.'), negate: !!k[1], then: [], otherwise: [], line };
      target.push(node);
      stack.push({ node, inElse: false });
      target = node.then;
    } else if (body === 'else') {
      const top = stack[stack.length - 1];
      if (!top || top.node.type !== 'if' || top.inElse) fail('{% else %} without a matching {% if %}', line);
      top!.inElse = true;
      target = (top!.node as Node & { type: 'if' }).otherwise;
    } else if (body === 'endif' || body === 'endfor') {
      const top = stack.pop();
      const want = body === 'endif' ? 'if' : 'for';
      if (!top || top.node.type !== want) fail(`{% ${body} %} without a matching {% ${want} %}`, line);
      const parent = stack[stack.length - 1];
      target = !parent ? root : parent.node.type === 'for' ? parent.node.body : parent.inElse ? parent.node.otherwise : parent.node.then;
    } else if ((k = /^for\s+(\w+)\s+in\s+([\w.]+)$/.exec(body))) {
      const node = { type: 'for' as const, name: k[1]!, path: k[2]!.split('.'), body: [], line };
      target.push(node);
      stack.push({ node, inElse: false });
      target = node.body;
    } else if ((k = /^([\w.]+)(\s*\|\s*raw)?$/.exec(body))) {
      target.push({ type: 'out', path: k[1]!.split('.'), raw: !!k[2], line });
    } else {
      fail(`cannot read template tag {% ${body} %}`, line);
    }
  }
  if (last < src.length) target.push({ type: 'text', text: src.slice(last), line: lineAt(last) });
  const open = stack.pop();
  if (open) fail(`{% ${open.node.type} %} is never closed`, open.node.line);
  return root;
}

/** Fills the slots from `context`; an unknown top-level name is a TEMPLATE_INVALID error. */
export function expandTemplate(nodes: Node[], context: Record<string, unknown>, options: ExpandOptions): ExpandedTemplate {
  let text = '';
  const lineMap: number[] = [];
  const append = (piece: string, line: number, literal: boolean) => {
    if (lineMap.length === 0) lineMap.push(line);
    let l = line;
    for (let i = piece.indexOf('\n'); i !== -1; i = piece.indexOf('\n', i + 1)) {
      if (literal) l++;
      lineMap.push(l);
    }
    text += piece;
  };
  const lookup = (path: string[], scope: Record<string, unknown>, line: number): unknown => {
    const [head, ...rest] = path;
    if (!(head! in scope)) {
      throw new PresslineError('TEMPLATE_INVALID', `unknown template value "${path.join('.')}"; known: ${Object.keys(scope).join(', ')}`, {
        file: options.file,
        line,
      });
    }
    let v: unknown = scope[head!];
    for (const key of rest) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    return v;
  };
  const walk = (list: Node[], scope: Record<string, unknown>) => {
    for (const n of list) {
      switch (n.type) {
        case 'text':
          append(options.literal ? options.literal(n.text, n.line) : n.text, n.line, true);
          break;
        case 'out': {
          const v = lookup(n.path, scope, n.line);
          const s = v === undefined || v === null || v === false ? '' : String(v);
          append(n.raw ? s : escapeHtml(s), n.line, false);
          break;
        }
        case 'if': {
          const v = truthy(lookup(n.path, scope, n.line));
          walk(v !== n.negate ? n.then : n.otherwise, scope);
          break;
        }
        case 'for': {
          const v = lookup(n.path, scope, n.line);
          if (v === undefined || v === null) break;
          if (!Array.isArray(v)) {
            throw new PresslineError('TEMPLATE_INVALID', `{% for %} needs a list, "${n.path.join('.')}" is not one`, { file: options.file, line: n.line });
          }
          for (const item of v) walk(n.body, { ...scope, [n.name]: item });
          break;
        }
        default: {
          const _: never = n;
          return _;
        }
      }
    }
  };
  walk(nodes, context);
  return { text, lineMap };
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null && v !== false && v !== '' && v !== 0;
}

function countLines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i !== -1 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

const ENDING_TAGS = new Set(['mj-text', 'mj-button', 'mj-table', 'mj-raw', 'mj-navbar-link', 'mj-accordion-title', 'mj-accordion-text', 'mj-social-element', 'mj-style', 'mj-title', 'mj-preview']);

/**
 * Checks that <mjml>/<mj-*> tags open and close in order. MJML's parser quietly closes an
 * unclosed tag and drops what follows, which strict validation does not report.
 */
export function checkTagBalance(src: string, file: string, mapLine: (outputLine: number) => number = (l) => l): void {
  const stack: { name: string; line: number }[] = [];
  const re = /<(\/?)(mjml|mj-[a-z-]+)\b((?:"[^"]*"|'[^']*'|[^'">])*)>/g;
  for (const m of src.matchAll(re)) {
    const [, closing, name, attrs] = m as unknown as [string, string, string, string];
    const line = mapLine(countLines(src, 0, m.index) + 1);
    const top = stack[stack.length - 1];
    // Inside an ending tag (mj-text …) only its own closing tag counts; the rest is HTML.
    if (top && ENDING_TAGS.has(top.name) && !(closing && name === top.name)) {
      throw new PresslineError('TEMPLATE_INVALID', `<${top.name}> opened on line ${top.line} is not closed before <${closing}${name}>`, { file, line });
    }
    if (closing) {
      if (!top || top.name !== name) {
        const expected = top ? `</${top.name}> (opened on line ${top.line})` : 'no closing tag';
        throw new PresslineError('TEMPLATE_INVALID', `</${name}> does not match; expected ${expected}`, { file, line });
      }
      stack.pop();
    } else if (!attrs.trimEnd().endsWith('/')) {
      stack.push({ name, line });
    }
  }
  const open = stack.pop();
  if (open) throw new PresslineError('TEMPLATE_INVALID', `<${open.name}> is never closed`, { file, line: open.line });
}
