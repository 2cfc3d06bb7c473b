// The folder layout is part of the design: a folder may use the folders below it, never one that
// uses it back. A cycle between top-level folders fails here, with the imports that close it.
import fs from 'node:fs';
import path from 'node:path';
import { repo } from './support/temporal';

const codeFolders = fs
  .readdirSync(repo, { withFileTypes: true })
  .filter(
    (d) =>
      d.isDirectory() &&
      !d.name.startsWith('.') &&
      !['node_modules', 'test', 'bench', 'docs', 'policies'].includes(d.name),
  )
  .map((d) => d.name);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith('.ts') ? [p] : [];
  });
}

/** folder → folder → the imports (file: specifier) that make the edge. */
function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const folder of codeFolders) {
    const edges = new Map<string, string[]>();
    graph.set(folder, edges);
    for (const file of sources(path.join(repo, folder))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import|require)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(repo, path.resolve(path.dirname(file), m[1])).split(path.sep)[0];
        if (target === folder || !codeFolders.includes(target)) continue;
        edges.set(target, [...(edges.get(target) ?? []), `${path.relative(repo, file)}: ${m[1]}`]);
      }
    }
  }
  return graph;
}

test('no import cycle between top-level folders', () => {
  const graph = folderGraph();
  const cycles: string[] = [];
  const reaches = (from: string, to: string, seen = new Set<string>()): string[] | undefined => {
    for (const next of graph.get(from)?.keys() ?? []) {
      if (next === to) return [from, to];
      if (seen.has(next)) continue;
      seen.add(next);
      const rest = reaches(next, to, seen);
      if (rest) return [from, ...rest];
    }
    return undefined;
  };
  for (const [folder, edges] of graph) {
    for (const [target, why] of edges) {
      const back = reaches(target, folder);
      if (back) cycles.push(`${folder} → ${back.join(' → ')} (${why[0]})`);
    }
  }
  expect(cycles).toEqual([]);
});

test('the folders the design card names are there', () => {
  for (const f of ['workflows', 'activities', 'worker', 'policies', 'test'])
    expect(fs.existsSync(path.join(repo, f))).toBe(true);
});
