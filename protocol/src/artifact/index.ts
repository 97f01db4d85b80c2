/** Model artifact format v1 (PROTOCOL.md §5): writer, reader, signature envelope. */
export { exampleArtifactModel } from './example.js';
export { contentSha256 } from './hash.js';
export { type ReadArtifactOptions, readArtifact } from './reader.js';
export {
  keyIdOf,
  type PrivateKeyInput,
  type PublicKeyInput,
  privateKeyFromSeed,
  publicKeyFromRaw,
  rawPublicKey,
  signArtifact,
  signedMessage,
  verifyArtifactSignature,
} from './sign.js';
export type * from './types.js';
export { writeArtifact } from './writer.js';
