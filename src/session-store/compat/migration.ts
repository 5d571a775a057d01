import * as sessionStoreApi from '../index.js';
import type { ListAgentSessionDirsOptions } from '../discovery.js';
import type { MigrationOptions } from '../migration.js';
import { storeForRead } from './open-stores.js';

/**
 * The gateway's startup calls: `migrateSessionStoreToDirectory(storePath)` resolving to whether
 * it migrated, and `listAgentSessionDirs(stateDir)` resolving to the sessions directories. The
 * full reports stay available from `hardfs/session-store`. A store that exists afterwards is
 * opened, so the synchronous reads that follow at startup find it open (nothing is created
 * for a path with no store). Refuses what hardfs/session-store's migration refuses (ECORRUPT,
 * ETOOBIG, ELOCKED …); no legacy file resolves to false.
 *
 * @example
 * ```ts
 * import { migrateSessionStoreToDirectory, loadSessionStore } from 'hardfs/session-store/compat';
 *
 * if (await migrateSessionStoreToDirectory(storePath)) console.log('sessions.json moved to sessions.d/');
 * const sessions = loadSessionStore(storePath); // synchronous: the store is open now
 * ```
 */
export async function migrateSessionStoreToDirectory(storePath: string, options?: MigrationOptions): Promise<boolean> {
  const { migrated } = await sessionStoreApi.migrateSessionStoreToDirectory(storePath, options);
  await storeForRead(storePath);
  return migrated;
}

/**
 * The sessions directory of every agent under `stateDir` (absolute paths, sorted by agent id),
 * as the gateway's own function returns them; symlinked or foreign agent directories are
 * skipped (see hardfs/session-store's listAgentSessionDirs, which also gives store paths).
 */
export async function listAgentSessionDirs(stateDir: string, options?: ListAgentSessionDirsOptions): Promise<string[]> {
  return (await sessionStoreApi.listAgentSessionDirs(stateDir, options)).map((dir) => dir.sessionsDir);
}
