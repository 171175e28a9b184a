import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder-level import graph of src/.
 *
 * A node is a top-level folder of src/ (its subfolders belong to it: web/dashboard is part of
 * web, store/sqlite of store), or a single file directly in src/ (errors.ts, app.ts): a root
 * file is its own node, so app.ts may import store/ while store/ imports errors.ts, but no
 * root file may sit on a loop with a folder. Type-only imports count: a type a folder borrows
 * ties it to the lender just as much when the code is read or moved.
 */

/** One relative import: `from` imports `to`, both as paths under src/ with `/` separators. */
export interface FileImport {
  from: string;
  to: string;
}

/** For one folder edge, the file imports behind it. */
export type FolderEdges = Map<string, Map<string, FileImport[]>>;

// Static imports and re-exports (`... from '...'`), side-effect imports, and `import('...')`
// both as a dynamic import and as an inline type (`import('../store/types.js').Store`).
const SPECIFIER = /\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(full, out);
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const toPosix = (p: string): string => p.split(sep).join('/');

/** Every relative import between files of `srcDir`, with `.js` specifiers mapped to their `.ts` sources. */
export function readImports(srcDir: string): FileImport[] {
  const imports: FileImport[] = [];
  for (const file of sourceFiles(srcDir)) {
    const from = toPosix(relative(srcDir, file));
    for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      const to = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts');
      if (to.startsWith('../')) continue; // outside src/
      imports.push({ from, to });
    }
  }
  return imports;
}

/** The node a file belongs to: its top-level folder, or the file itself when it sits in src/. */
export function nodeOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? file : file.slice(0, slash);
}

export function folderEdges(imports: readonly FileImport[]): FolderEdges {
  const edges: FolderEdges = new Map();
  for (const imp of imports) {
    const a = nodeOf(imp.from);
    const b = nodeOf(imp.to);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    const out = edges.get(a)!;
    if (!out.has(b)) out.set(b, []);
    out.get(b)!.push(imp);
  }
  return edges;
}

/** Strongly connected components with more than one node (Tarjan), each sorted by name. */
export function stronglyConnected(edges: FolderEdges): string[][] {
  const nodes = new Set<string>();
  for (const [a, out] of edges) {
    nodes.add(a);
    for (const b of out.keys()) nodes.add(b);
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const n of [...nodes].sort()) if (!index.has(n)) visit(n);
  return components.sort((x, y) => x[0]!.localeCompare(y[0]!));
}

/** A shortest loop through `start` inside `component` (breadth-first), as [start, …, start]. */
function shortestLoop(edges: FolderEdges, component: readonly string[], start: string): string[] {
  const inside = new Set(component);
  const parent = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return [...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  /* c8 ignore next */
  throw new Error(`no loop through ${start}`);
}

/** The same loop read from any of its folders gives one key: rotated to start at its smallest name. */
function loopKey(loop: readonly string[]): string {
  const ring = loop.slice(0, -1);
  const first = ring.indexOf([...ring].sort()[0]!);
  return [...ring.slice(first), ...ring.slice(0, first)].join(' -> ');
}

/**
 * One paragraph per strongly connected component: the folders in it, then a shortest loop
 * through each folder of it (so each folder's part shows), each edge with
 * the file imports behind it. Empty when the graph has no loop.
 */
export function describeCycles(edges: FolderEdges, filesPerEdge = 4): string {
  const paragraphs: string[] = [];
  for (const component of stronglyConnected(edges)) {
    const lines = [`folders in one import loop: ${component.join(', ')}`];
    const shown = new Set<string>();
    for (const start of component) {
      const loop = shortestLoop(edges, component, start);
      if (shown.has(loopKey(loop))) continue;
      shown.add(loopKey(loop));
      lines.push(`  loop: ${loop.join(' -> ')}`);
      for (let i = 0; i + 1 < loop.length; i++) {
        const behind = edges.get(loop[i]!)!.get(loop[i + 1]!)!;
        const listed = behind.slice(0, filesPerEdge).map((imp) => `${imp.from} imports ${imp.to}`);
        const more = behind.length > filesPerEdge ? `, and ${behind.length - filesPerEdge} more` : '';
        lines.push(`    ${loop[i]} -> ${loop[i + 1]}: ${listed.join('; ')}${more}`);
      }
    }
    paragraphs.push(lines.join('\n'));
  }
  return paragraphs.join('\n\n');
}

/** `a -> b c d` per node, sorted: the graph as printed in reviews and closing notes. */
export function formatGraph(edges: FolderEdges): string {
  return [...edges.keys()]
    .sort()
    .map((a) => `${a} -> ${[...edges.get(a)!.keys()].sort().join(' ')}`)
    .join('\n');
}

/** The folder graph of the src/ folder next to test/. */
export function srcFolderEdges(): FolderEdges {
  const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
  return folderEdges(readImports(srcDir));
}
