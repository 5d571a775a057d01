/** One step from a JSON container to a member: an object key or an array index. */
export type JsonPathSegment = string | number;

/** Keys longer than this are cut in error paths: a path names where, not what. */
const MAX_SHOWN_KEY = 40;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The path of a member as `$.a.b[3]["odd key"]`, for error messages that must say where a
 * value is without quoting it. Keys are structure, values are content: a path only ever names
 * keys, and cuts a long one, so a message cannot become a copy of the document.
 */
export function formatJsonPath(segments: readonly JsonPathSegment[]): string {
  let text = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
    } else {
      const cut = segment.slice(0, MAX_SHOWN_KEY);
      const shown = cut.length < segment.length ? `${cut}…` : cut;
      text += IDENTIFIER.test(shown) ? `.${shown}` : `[${JSON.stringify(shown)}]`;
    }
  }
  return text;
}

/** A container being walked: its keys (undefined for an array) and the index after the member visited. */
export interface PathFrame {
  readonly keys: readonly string[] | undefined;
  readonly index: number;
}

/** The path of the member a walk is visiting: each open container's current key or index. */
export function framePath(frames: readonly PathFrame[]): string {
  return formatJsonPath(frames.map((frame) => (frame.keys === undefined ? frame.index - 1 : (frame.keys[frame.index - 1] as string))));
}
