export { encodeKey, decodeKey } from './key-codec.js';
export { isLongKeyStem, MAX_STEM_LENGTH, LONG_STEM_DIGEST_LENGTH } from './long-key-stem.js';
