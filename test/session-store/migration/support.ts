// Shared by the migration behaviour files: real temp directories, a legacy file, a logger that
// records what it is told.
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  entryFileName,
  migrateSessionStoreToDirectory,
  type MigrationOptions,
  type SessionEntry,
} from '../../../src/session-store/index.js';
import { useTempDirs } from '../../support/tmp.js';

export const quiet = { warn: (): void => undefined };

export interface Warning {
  message: string;
  details: Record<string, unknown> | undefined;
}

export function recordingLogger(): { warnings: Warning[]; logger: { warn: (message: string, details?: Record<string, unknown>) => void } } {
  const warnings: Warning[] = [];
  return { warnings, logger: { warn: (message, details) => warnings.push({ message, details }) } };
}

export interface LegacyStore {
  base: string;
  path: string;
  dir: string;
  staging: string;
}

/** A temp dir per call, removed after the test. */
export function legacyStores(): { legacyIn: (content: string | Buffer) => Promise<LegacyStore>; tempDir: () => Promise<string> } {
  const tempDir = useTempDirs();
  const legacyIn = async (content: string | Buffer): Promise<LegacyStore> => {
    const base = await tempDir();
    return writeLegacy(base, content);
  };
  return { legacyIn, tempDir };
}

export function writeLegacy(base: string, content: string | Buffer): LegacyStore {
  const path = join(base, 'sessions.json');
  writeFileSync(path, content, { mode: 0o600 });
  return { base, path, dir: join(base, 'sessions.d'), staging: join(base, 'sessions.d.migrating') };
}

/** A real sticky world-writable directory (1777, like /tmp) inside a traversable temp dir. */
export function stickyShared(base: string): string {
  chmodSync(base, 0o755);
  const shared = join(base, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  return shared;
}

export function backups(base: string): string[] {
  return readdirSync(base).filter((name) => name.startsWith('sessions.json.bak.')).sort();
}

export function entryFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
}

export function recordIn(dir: string, key: string): { v: number; key: string; rev: number; entry: SessionEntry } {
  return JSON.parse(readFileSync(join(dir, entryFileName(key)), 'utf8')) as { v: number; key: string; rev: number; entry: SessionEntry };
}

export function migrate(path: string, options: MigrationOptions = {}) {
  return migrateSessionStoreToDirectory(path, { logger: quiet, fsync: false, ...options });
}
