import * as sessionStoreApi from '../index.js';
import type { ListAgentSessionDirsOptions } from '../discovery.js';
import type { MigrationOptions } from '../migration.js';

/**
 * The gateway's startup calls: `migrateSessionStoreToDirectory(storePath)` resolving to whether
 * it migrated, and `listAgentSessionDirs(stateDir)` resolving to the sessions directories. The
 * full reports stay available from `hardfs/session-store`.
 */
export async function migrateSessionStoreToDirectory(storePath: string, options?: MigrationOptions): Promise<boolean> {
  return (await sessionStoreApi.migrateSessionStoreToDirectory(storePath, options)).migrated;
}

export async function listAgentSessionDirs(stateDir: string, options?: ListAgentSessionDirsOptions): Promise<string[]> {
  return (await sessionStoreApi.listAgentSessionDirs(stateDir, options)).map((dir) => dir.sessionsDir);
}
