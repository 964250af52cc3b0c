// Child process for durability.test.ts: writes settings one per transaction and prints
// each key on stdout once `applySettings` has returned, until it is killed.
// Usage: node test-burst-writer.js <store path> <key prefix>
import { writeSync } from 'node:fs';
import { Store } from './index.js';

const [path, keyPrefix] = process.argv.slice(2);
if (path === undefined || keyPrefix === undefined) throw new Error('usage: test-burst-writer.js <store path> <key prefix>');

// Values of half a page make the write-ahead log grow fast enough to be checkpointed
// during the burst, so a kill can also land in a checkpoint.
const padding = 'x'.repeat(2048);
const store = Store.open(path);
// A bound, in case the parent stops reading without killing the writer.
for (let i = 0; i < 5_000; i++) {
  const key = `${keyPrefix}.${String(i).padStart(5, '0')}`;
  store.applySettings([{ type: 'insert', values: [[key, `${i}:${padding}`]] }], 'burst-writer');
  // writeSync: the line is in the pipe before the next write starts, and a parent that
  // has gone away (EPIPE) ends the writer at once instead of after the whole loop.
  writeSync(1, `${key}\n`);
}
store.close();
