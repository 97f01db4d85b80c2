/**
 * Regenerates every golden vector in `protocol/vectors/` (PROTOCOL.md §7).
 * Usage: npm run gen:vectors            write the vectors and MANIFEST.json
 *        npm run gen:vectors -- --check exit 1 if any committed vector differs from a fresh run
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateArtifactVectors } from './vectors/artifact.js';
import { generateCborVectors } from './vectors/cbor.js';
import { jsonFile, VECTORS_DIR, type VectorFile, writeVectorFiles } from './vectors/common.js';
import { generateLinkVectors } from './vectors/link.js';
import { generateNnVectors } from './vectors/nn.js';

export function generateAll(): VectorFile[] {
  const files = [
    ...generateCborVectors(),
    ...generateLinkVectors(),
    ...generateArtifactVectors(),
    ...generateNnVectors(),
  ];
  const manifest = {
    generator: 'protocol/scripts/gen-vectors.ts',
    protocol_version: 1,
    files: Object.fromEntries(
      [...files]
        .sort((a, b) => a.path.localeCompare(b.path))
        .map((f) => [f.path, createHash('sha256').update(f.bytes).digest('hex')]),
    ),
  };
  return [...files, jsonFile('MANIFEST.json', manifest)];
}

/** Paths whose committed bytes differ from a fresh generation. */
export function staleVectors(root = VECTORS_DIR): string[] {
  return generateAll()
    .filter((f) => {
      const abs = join(root, f.path);
      return !existsSync(abs) || !Buffer.from(f.bytes).equals(readFileSync(abs));
    })
    .map((f) => f.path);
}

const isMain = process.argv[1]?.endsWith('gen-vectors.ts');
if (isMain) {
  if (process.argv.includes('--check')) {
    const stale = staleVectors();
    if (stale.length > 0) {
      console.error(`stale vectors (run npm run gen:vectors): ${stale.join(', ')}`);
      process.exit(1);
    }
    console.log('vectors up to date');
  } else {
    const files = generateAll();
    writeVectorFiles(VECTORS_DIR, files);
    console.log(`wrote ${files.length} files under protocol/vectors/`);
  }
}
