/**
 * The writer thread from the compiled build. Vitest runs the TypeScript sources (the thread then
 * loads `writer-worker.ts` through tsx); `nextbest serve` runs `dist/`, where the thread must be the
 * compiled `writer-worker.js` next to the store. This builds the store's sources with the project's
 * build configuration (`tsconfig.build.json`, which `npm run build` uses for all of `src/`) into a
 * temporary directory and runs a store from there in a plain `node` process.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nextbest-compiled-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite writer thread, compiled', () => {
  it('starts the compiled writer-worker.js from dist and commits through it', async () => {
    const outDir = join(dir, 'dist');
    const config = join(dir, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(root, 'tsconfig.build.json'),
        compilerOptions: { rootDir: join(root, 'src'), outDir, typeRoots: [join(root, 'node_modules/@types')] },
        include: [join(root, 'src/store/**/*.ts')],
        exclude: [join(root, 'src/**/*.test.ts'), join(root, 'src/**/*.contract.ts')],
      }),
    );
    // A type error elsewhere in the tree would not stop tsc from emitting; what matters here is the output.
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config], { cwd: root }).catch(() => undefined);
    expect(existsSync(join(outDir, 'store/sqlite/writer-worker.js'))).toBe(true);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const store = pathToFileURL(join(outDir, 'store/sqlite/index.js')).href;
    const db = join(dir, 'compiled.db');
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(store)});
      const decision = (id) => ({ decisionId: id, customerId: 'c1', channel: 'web', direction: 'inbound', catalogVersion: 1,
        createdAt: '2026-05-04T10:00:00.000Z', context: {}, actions: [], predictors: { 'customer.age': 42 } });
      const store = SqliteStore.open(${JSON.stringify(db)}, { checkpointer: { startAfterWrites: 0 } });
      await Promise.all([store.saveDecision(decision('d1')), store.saveDecision(decision('d2')), store.saveDecisions([{ decision: decision('d3') }])]);
      const result = { mode: store.writerMode, synchronous: await store.writerPragma('synchronous'), count: await store.countDecisions(),
        checkpointer: (await store.checkpointerStats()) !== undefined };
      await store.close();
      const again = SqliteStore.open(${JSON.stringify(db)});
      result.afterReopen = await again.countDecisions();
      await again.close();
      process.stdout.write(JSON.stringify(result));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ mode: 'thread', synchronous: 2, count: 3, checkpointer: true, afterReopen: 3 });
  }, 180_000);
});
