/**
 * BatchWriter create/write/close on one long-lived Database: COPY and INSERT modes, flushes by
 * size and by time, a queue over its cap (drops counted), a writer on a missing table (rows
 * rejected and counted, never thrown), write-after-close (ORG_LIFECYCLE_CLOSED). Each writer must be gone after close().
 */
import { BatchWriter, createDatabase, type Database } from '@org/shared-database';
import { defineScenario } from '@org/shared-leakcheck';
import { harnessUrls } from './_database.ts';

export const needs = ['DATABASE_URL'] as const;

interface Row {
  id: number;
  kind: string;
  payload: string;
}

const table = `leak_batch_writer_${process.pid}`;

export default defineScenario<Database>({
  name: 'database/batch-writer',
  description:
    'createBatchWriter (copy | insert | missing table) → write 150 rows (over a 100-row cap) → flush → close ×2',
  iterations: 40,
  classes: [BatchWriter],
  async setup() {
    const db = createDatabase({ primary: harnessUrls().primary, onError: () => {} });
    await db.write().schema.createTable(table, (t) => {
      t.integer('id');
      t.string('kind');
      t.text('payload');
    });
    return db;
  },
  async iteration(db, i) {
    const failing = i % 10 === 9;
    const writer = db.createBatchWriter<Row>({
      table: failing ? `${table}_missing` : table,
      columns: ['id', 'kind', 'payload'],
      mode: i % 2 === 0 ? 'copy' : 'insert',
      batchSize: 40,
      batchesPerCopy: 2,
      flushIntervalMs: 5,
      maxItems: 100,
      name: `leak-${i}`,
      closeTimeoutMs: 2000,
      onError: () => {},
    });
    let accepted = 0;
    for (let n = 0; n < 150; n++) {
      if (writer.write({ id: i * 1000 + n, kind: n % 3 === 0 ? 'a' : 'b', payload: `row ${n} of ${i}` }))
        accepted++;
    }
    await writer.flush();
    writer.write({ id: -1, kind: 'late', payload: 'flushed by close()' });
    await writer.close();
    await writer.close(); // idempotent
    let refused = '';
    try {
      writer.write({ id: -2, kind: 'closed', payload: 'refused' });
    } catch (error) {
      refused = (error as { code?: string }).code ?? '';
    }
    const stats = writer.stats();
    if (refused !== 'ORG_LIFECYCLE_CLOSED') throw new Error(`write after close: ${refused || 'accepted'}`);
    if (!failing && stats.written === 0) throw new Error(`nothing written: ${JSON.stringify(stats)}`);
    if (failing && stats.written !== 0) throw new Error('rows written to a missing table');
    if (accepted === 0) throw new Error('no row accepted');
    return writer;
  },
  async teardown(db) {
    await db.write().schema.dropTableIfExists(table);
    await db.close();
  },
});
