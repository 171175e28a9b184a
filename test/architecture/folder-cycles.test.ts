import { describe, expect, it } from 'vitest';
import { describeCycles, folderEdges, formatGraph, nodeOf, srcFolderEdges, stronglyConnected, type FileImport } from './folder-graph.js';

// Folders of src/ import each other in one direction only (leaves such as mime, log, time, html,
// process and config at the bottom, cli at the top). A loop means two folders can no longer be
// read, tested or moved apart; this names the files behind each edge of one, so it can be cut by
// moving the type or function to where it belongs.
describe('folder-level imports in src/', () => {
  it('form no loop', () => {
    const edges = srcFolderEdges();
    if (process.env.PRINT_FOLDER_GRAPH) console.log(formatGraph(edges));
    const cycles = describeCycles(edges);
    expect(cycles, `folder import loops in src/:\n${cycles}`).toBe('');
  });

  // Leaves import no other folder (files at the root of src/, such as errors.ts, are allowed).
  it.each(['config', 'devsink', 'domain', 'html', 'mime', 'process', 'terminal', 'time'])('keeps %s/ a leaf', (leaf) => {
    const imported = [...(srcFolderEdges().get(leaf) ?? [])].filter(([to]) => nodeOf(to) === to && !to.endsWith('.ts'));
    const behind = imported.flatMap(([, files]) => files.map((imp) => `${imp.from} imports ${imp.to}`));
    expect(behind, `${leaf}/ is a leaf`).toEqual([]);
  });
});

describe('the loop finder', () => {
  const imports = (pairs: [string, string][]): FileImport[] => pairs.map(([from, to]) => ({ from, to }));

  it('takes top-level folders as nodes, and each file at the root of src/ as its own node', () => {
    expect(nodeOf('web/dashboard/pages.ts')).toBe('web');
    expect(nodeOf('store/sqlite/store.ts')).toBe('store');
    expect(nodeOf('errors.ts')).toBe('errors.ts');
  });

  it('names the files behind every edge of a loop, through a subfolder and a root file', () => {
    const edges = folderEdges(
      imports([
        ['render/compile.ts', 'send/mime.ts'],
        ['send/sender.ts', 'render/types.ts'],
        ['send/compose.ts', 'render/types.ts'],
        ['web/dashboard/layout.ts', 'reports/html.ts'],
        ['reports/html.ts', 'web/html.ts'],
        ['app.ts', 'store/open.ts'],
        ['store/sqlite/store.ts', 'app.ts'],
        ['store/types.ts', 'errors.ts'],
        ['cli/main.ts', 'app.ts'],
      ]),
    );
    expect(stronglyConnected(edges)).toEqual([
      ['app.ts', 'store'],
      ['render', 'send'],
      ['reports', 'web'],
    ]);
    const text = describeCycles(edges);
    expect(text).toContain('loop: render -> send -> render');
    expect(text).toContain('render -> send: render/compile.ts imports send/mime.ts');
    expect(text).toContain('send -> render: send/sender.ts imports render/types.ts; send/compose.ts imports render/types.ts');
    expect(text).toContain('web -> reports: web/dashboard/layout.ts imports reports/html.ts');
    expect(text).toContain('store -> app.ts: store/sqlite/store.ts imports app.ts');
    expect(text).not.toContain('errors.ts');
  });

  it('finds nothing in a layered graph, and a loop of three folders once', () => {
    const layered = folderEdges(imports([['cli/a.ts', 'web/b.ts'], ['web/b.ts', 'store/c.ts'], ['cli/a.ts', 'store/c.ts'], ['store/c.ts', 'errors.ts']]));
    expect(describeCycles(layered)).toBe('');
    const three = describeCycles(folderEdges(imports([['a/x.ts', 'b/x.ts'], ['b/x.ts', 'c/x.ts'], ['c/x.ts', 'a/x.ts']])));
    expect(three.match(/^  loop:/gm)).toHaveLength(1);
    expect(three).toContain('loop: a -> b -> c -> a');
  });
});
