export { encodeKey, decodeKey, isLongKeyStem, MAX_STEM_LENGTH, LONG_STEM_DIGEST_LENGTH } from './key-codec.js';
