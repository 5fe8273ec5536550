// The import-cycle check of `npm test` finds a cycle made only of type imports, and none in src/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findCycles } from '../../scripts/check-cycles.mjs';

const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check-cycles', () => {
  it('reports a two-file cycle of type imports and re-exports, and leaves acyclic files alone', () => {
    mkdirSync(join(dir, 'a'));
    writeFileSync(
      join(dir, 'a', 'one.ts'),
      "import type { Two } from './two.js';\nexport interface One { two?: Two }\n",
    );
    writeFileSync(join(dir, 'a', 'two.ts'), "export type { One as Two } from './one.js';\n");
    writeFileSync(join(dir, 'a', 'leaf.ts'), "import type { One } from './one.js';\nexport type Leaf = One;\n");
    const { fileCount, cycles } = findCycles([dir]);
    expect(fileCount).toBe(3);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]!.map((file) => file.split('/').pop())).toEqual(['one.ts', 'two.ts']);
  });

  it('finds no cycle in src/', () => {
    expect(findCycles().cycles).toEqual([]);
  });
});
