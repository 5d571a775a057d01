// Session-like entries of a given size: nested objects, arrays, numbers and strings, the kind
// a gateway keeps (routing, model settings, and for the large shape a skill snapshot).
import { randomBytes } from 'node:crypto';

export const SHAPES = { '2KiB': 2 * 1024, '64KiB': 64 * 1024 };

export function makeEntry(index, bytes) {
  const entry = {
    updatedAt: Date.now() - index,
    sessionId: `sess-${index}-${randomBytes(4).toString('hex')}`,
    agentId: 'main',
    channel: { kind: 'chat', id: `c${index}`, flags: [true, false, index % 3 === 0] },
    model: { provider: 'local', name: 'model-x', temperature: 0.2, maxTokens: 4096 },
    counters: { turns: index % 97, tokensIn: index * 13, tokensOut: index * 7 },
    skills: [],
  };
  let size = JSON.stringify(entry).length;
  for (let i = 0; size < bytes; i += 1) {
    const chunk = { name: `skill-${i}`, version: `1.${i}.0`, body: randomBytes(96).toString('base64') };
    entry.skills.push(chunk);
    size += JSON.stringify(chunk).length + 1;
  }
  return entry;
}

export function bump(entry) {
  return { ...entry, updatedAt: Date.now(), counters: { ...entry?.counters, turns: (entry?.counters?.turns ?? 0) + 1 } };
}
