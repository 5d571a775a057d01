import { isAbsolute, join, resolve, sep } from 'node:path';
import {
  HardfsError,
  assertRealpathWithin,
  errnoCode,
  isHardfsError,
  openDir,
  type SafeDir,
} from '../index.js';
import type { SessionStoreLogger } from './options.js';

/** One agent's session store found by {@link listAgentSessionDirs}. */
export interface AgentSessionDir {
  /** The agent directory's name. */
  agentId: string;
  /** Absolute path of the agent's sessions directory. */
  sessionsDir: string;
  /** The legacy store path inside it (the name a SessionStore is opened with). */
  storePath: string;
}

/** Options of {@link listAgentSessionDirs}. */
export interface ListAgentSessionDirsOptions {
  /**
   * Store path template with an `{agentId}` component, e.g.
   * `/state/agents/{agentId}/sessions/sessions.json`. Default:
   * `<stateDir>/agents/{agentId}/sessions/sessions.json`. Every agent found under the
   * template's agents directory gets its own store path, not only the default agent.
   */
  storePathTemplate?: string;
  /** Called for every candidate refused (symlink, not a directory, outside the state dir …). */
  onSkipped?: (path: string, reason: string) => void;
  /** Also told (`warn`) of every candidate refused. Default: none. */
  logger?: SessionStoreLogger;
}

const AGENT_PLACEHOLDER = '{agentId}';

/**
 * Finds every agent's session store under a state directory. Agent and sessions directories
 * that are symlinks are refused (never followed), and each result is checked to be inside the
 * state directory by real path. Resolves to them sorted by agent id; an absent agents
 * directory gives `[]`. EBADNAME for a template without exactly one whole-component
 * `{agentId}` or naming no file below it; what openDir refuses for the agents directory.
 */
export async function listAgentSessionDirs(
  stateDir: string,
  options: ListAgentSessionDirsOptions = {},
): Promise<AgentSessionDir[]> {
  const root = resolve(stateDir);
  const template = parseTemplate(root, options.storePathTemplate);
  const skip = (path: string, reason: string): void => {
    options.onSkipped?.(path, reason);
    options.logger?.warn(`hardfs session store: skipped ${path}: ${reason}`);
  };
  let agents: SafeDir;
  try {
    agents = await openDir(template.agentsDir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const found: AgentSessionDir[] = [];
  try {
    const entries = (await agents.entries()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const agentPath = join(template.agentsDir, entry.name);
      if (entry.type === 'symlink') {
        skip(agentPath, 'agent directory is a symlink');
        continue;
      }
      if (entry.type !== 'directory') continue;
      const storePath = template.prefix + entry.name + template.suffix;
      const sessionsDir = resolve(storePath, '..');
      const refusal = await checkSessionsDir(root, agents, entry.name, template.innerComponents);
      if (refusal === 'missing') continue;
      if (refusal !== undefined) {
        skip(sessionsDir, refusal);
        continue;
      }
      found.push({ agentId: entry.name, sessionsDir, storePath });
    }
  } finally {
    await agents.close();
  }
  return found;
}

interface ParsedTemplate {
  agentsDir: string;
  prefix: string;
  suffix: string;
  /** Directory components between the agent directory and the store file. */
  innerComponents: string[];
}

function parseTemplate(root: string, template: string | undefined): ParsedTemplate {
  const raw = template ?? join(root, 'agents', AGENT_PLACEHOLDER, 'sessions', 'sessions.json');
  const absolute = isAbsolute(raw) ? raw : resolve(root, raw);
  const at = absolute.indexOf(AGENT_PLACEHOLDER);
  if (at < 0 || absolute.indexOf(AGENT_PLACEHOLDER, at + 1) >= 0) {
    throw new HardfsError('EBADNAME', `store path template must contain ${AGENT_PLACEHOLDER} exactly once`, { path: raw });
  }
  const prefix = absolute.slice(0, at);
  const suffix = absolute.slice(at + AGENT_PLACEHOLDER.length);
  if (!prefix.endsWith(sep) || !suffix.startsWith(sep)) {
    throw new HardfsError('EBADNAME', `${AGENT_PLACEHOLDER} must be a whole path component of the template`, { path: raw });
  }
  const components = suffix.split(sep).filter((part) => part.length > 0);
  if (components.length === 0 || components.some((part) => part === '.' || part === '..')) {
    throw new HardfsError('EBADNAME', 'template must name a store file below the agent directory', { path: raw });
  }
  return { agentsDir: prefix.slice(0, -1), prefix, suffix, innerComponents: components.slice(0, -1) };
}

/** Walks agent/<inner…> through pinned handles: every component must be a real directory. */
async function checkSessionsDir(
  root: string,
  agents: SafeDir,
  agentId: string,
  inner: string[],
): Promise<string | undefined> {
  const opened: SafeDir[] = [];
  try {
    let current = await agents.openSubdir(agentId);
    opened.push(current);
    for (const component of inner) {
      current = await current.openSubdir(component);
      opened.push(current);
    }
    // Belt and braces: the pinned walk already refused symlinks; the real path check also
    // catches a state dir that is itself reached through a moved mount or bind.
    await assertRealpathWithin(root, current.path);
    return undefined;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'missing';
    // HardfsError messages already start with their code.
    if (isHardfsError(error)) return error.message;
    throw error;
  } finally {
    // Stryker disable next-line MethodExpression: each SafeDir owns its own descriptor; closing them in either order closes the same set
    for (const dir of opened.reverse()) await dir.close();
  }
}
