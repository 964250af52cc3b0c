import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Store } from './index.js';
import { tempDir } from './test-helpers.js';

const WRITER = fileURLToPath(new URL('./test-burst-writer.js', import.meta.url));

interface Burst {
  acknowledged: string[];
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs the writer until it has acknowledged `killAfter` writes, then SIGKILLs it. Every
 * line read before the process is gone counts as acknowledged, including those that
 * arrive after the kill was sent: each was printed only after its write returned.
 */
function burstThenKill(path: string, keyPrefix: string, killAfter: number): Promise<Burst> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, path, keyPrefix], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acknowledged: string[] = [];
    let partial = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      acknowledged.push(...lines);
      if (acknowledged.length >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ acknowledged, signal, stderr }));
  });
}

function integrityCheck(path: string): unknown {
  const db = new Database(path);
  try {
    return db.pragma('integrity_check', { simple: true });
  } finally {
    db.close();
  }
}

test('every acknowledged write survives SIGKILL mid-burst, and the file reopens intact', { timeout: 30_000 }, async (t) => {
  const path = join(tempDir(t), 'store', 'parapet.db');
  const expected = new Set<string>();
  // Several rounds on the same file: each one starts by recovering from the previous kill.
  for (const [round, killAfter] of [200, 337, 251].entries()) {
    const burst = await burstThenKill(path, `burst.r${round}`, killAfter);
    assert.equal(burst.signal, 'SIGKILL', `the writer ended on its own before being killed:\n${burst.stderr}`);
    assert.ok(burst.acknowledged.length >= killAfter);
    for (const key of burst.acknowledged) expected.add(key);

    assert.equal(integrityCheck(path), 'ok');
    const store = Store.open(path);
    try {
      const stored = store.settings();
      const lost = [...expected].filter((key) => !stored.has(key));
      assert.deepEqual(lost, [], `round ${round}: acknowledged writes lost after SIGKILL`);
      // One audit entry per acknowledged write, written in the same transaction.
      assert.ok(store.audit.list(1, 1).total >= expected.size);
    } finally {
      store.close();
    }
  }
});
