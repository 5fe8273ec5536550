// `npm test` step: no import cycles in src/, counting type-only imports and re-exports
// (`import type`, `export … from`, `import('…')` types). Reads the import graph with the
// TypeScript parser (no type check), finds strongly connected components (Tarjan) and prints
// each cycle's files; exit code 1 when there is one.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './lib/deps.mjs';

const ROOTS = ['src'];

/** @param {string} dir @returns {string[]} */
function listTs(dir) {
  /** @type {string[]} */
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listTs(path));
    else if (/\.(m|c)?tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every relative module specifier of a file: imports, re-exports, `import('…')` and `import x = require`. */
function specifiersOf(/** @type {string} */ file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  /** @type {string[]} */
  const found = [];
  const visit = (/** @type {ts.Node} */ node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) found.push(arg.literal.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg !== undefined && ts.isStringLiteral(arg)) found.push(arg.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) found.push(expr.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((spec) => spec.startsWith('.'));
}

/** `./x.js` → the .ts file it names, when it is one of ours. */
function resolveSpecifier(/** @type {string} */ from, /** @type {string} */ spec, /** @type {Set<string>} */ files) {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.(m|c)?js$/, '.$1ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((candidate) => files.has(candidate));
}

export function findCycles(/** @type {string[]} */ roots = ROOTS) {
  const files = new Set(roots.flatMap((root) => listTs(resolve(REPO_ROOT, root))));
  /** @type {Map<string, string[]>} */
  const graph = new Map();
  for (const file of files) {
    const targets = specifiersOf(file)
      .map((spec) => resolveSpecifier(file, spec, files))
      .filter((target) => target !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  // Tarjan's strongly connected components; a component of 2+ files, or a file importing itself, is a cycle.
  let counter = 0;
  /** @type {Map<string, number>} */ const index = new Map();
  /** @type {Map<string, number>} */ const low = new Map();
  /** @type {string[]} */ const stack = [];
  const onStack = new Set();
  /** @type {string[][]} */ const cycles = [];
  const connect = (/** @type {string} */ node) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(/** @type {number} */ (low.get(node)), /** @type {number} */ (low.get(next))));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(/** @type {number} */ (low.get(node)), /** @type {number} */ (index.get(next))));
      }
    }
    if (low.get(node) === index.get(node)) {
      /** @type {string[]} */
      const component = [];
      let member;
      do {
        member = /** @type {string} */ (stack.pop());
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component);
    }
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file);
  return { fileCount: files.size, cycles: cycles.map((c) => c.map((f) => relative(REPO_ROOT, f)).sort()) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { fileCount, cycles } = findCycles();
  if (cycles.length === 0) {
    console.log(`No import cycles among ${fileCount} files (type imports included).`);
  } else {
    for (const cycle of cycles) console.error(`Import cycle: ${cycle.join(' <-> ')}`);
    process.exit(1);
  }
}
