// SQLite contender, run under a Node that has node:sqlite (22.5+/24; the driver starts it via
// `npx -y node@24`). One row per session, WAL, synchronous=FULL; an update is a read-modify-write
// in a BEGIN IMMEDIATE transaction. Prints one JSON line with every figure the driver tables.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { measureFor, medianTime } from '../lib/stats.mjs';
import { bump, makeEntry } from './shapes.mjs';

const [mode, dir, rawN, rawBytes, rawDuration, workerKey] = process.argv.slice(2);
const N = Number(rawN);
const bytes = Number(rawBytes);
const durationMs = Number(rawDuration);
const dbPath = join(dir, 'sessions.sqlite');

function openDb() {
  const db = new DatabaseSync(dbPath);
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;');
  db.exec('CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, updated_at INTEGER, data TEXT NOT NULL)');
  return db;
}

function updater(db) {
  const select = db.prepare('SELECT data FROM sessions WHERE key = ?');
  const upsert = db.prepare(
    'INSERT INTO sessions (key, updated_at, data) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data',
  );
  return (key) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const row = select.get(key);
      const next = bump(row ? JSON.parse(row.data) : makeEntry(0, bytes));
      upsert.run(key, next.updatedAt, JSON.stringify(next));
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };
}

if (mode === 'worker') {
  const db = openDb();
  const update = updater(db);
  const result = await measureFor(async () => update(workerKey), { concurrency: 1, durationMs, minOps: 2 });
  db.close();
  console.log(JSON.stringify({ latencies: result.latencies, elapsedMs: result.elapsedMs }));
} else {
  mkdirSync(dir, { recursive: true });
  const db = openDb();
  const seed = db.prepare('INSERT OR REPLACE INTO sessions (key, updated_at, data) VALUES (?, ?, ?)');
  db.exec('BEGIN');
  for (let i = 0; i < N; i += 1) {
    const entry = makeEntry(i, bytes);
    seed.run(`agent:main:s${i}`, entry.updatedAt, JSON.stringify(entry));
  }
  db.exec('COMMIT');
  const update = updater(db);
  const out = {};
  for (const concurrency of [1, 10]) {
    const m = await measureFor(async (worker) => update(`agent:main:s${worker}`), { concurrency, durationMs, minOps: 2 });
    out[`update${concurrency}`] = { opsPerSec: m.opsPerSec, latencies: m.latencies };
  }
  const self = fileURLToPath(import.meta.url);
  const children = await Promise.all(
    [0, 1, 2, 3].map(
      (worker) =>
        new Promise((done, fail) => {
          const child = spawn(process.execPath, [self, 'worker', dir, rawN, rawBytes, rawDuration, `agent:main:s${worker}`]);
          let stdout = '';
          child.stdout.on('data', (chunk) => (stdout += chunk));
          child.on('error', fail);
          child.on('close', (code) => (code === 0 ? done(JSON.parse(stdout.trim().split('\n').pop())) : fail(new Error(`worker exited ${code}`))));
        }),
    ),
  );
  const latencies = children.flatMap((child) => child.latencies);
  out.proc4 = { opsPerSec: (latencies.length * 1000) / Math.max(...children.map((c) => c.elapsedMs)), latencies };
  const all = db.prepare('SELECT key, data FROM sessions');
  out.loadAllMs = await medianTime(() => {
    const record = Object.create(null);
    for (const row of all.iterate()) record[row.key] = JSON.parse(row.data);
    return record;
  });
  const one = db.prepare('SELECT data FROM sessions WHERE key = ?');
  const at = db.prepare('SELECT updated_at FROM sessions WHERE key = ?');
  out.getMs = await medianTime((i) => JSON.parse(one.get(`agent:main:s${i % N}`).data), 21);
  out.getUpdatedAtMs = await medianTime((i) => at.get(`agent:main:s${i % N}`).updated_at, 21);
  db.close();
  console.log(JSON.stringify(out));
}
