import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  privateKeyFromSeed,
  rawPublicKey,
  readArtifact,
  signArtifact,
  verifyArtifactSignature,
} from '@tinyfleet/protocol/artifact';
import { ProtocolError } from '@tinyfleet/protocol/errors';
import { objectIdOf } from '@tinyfleet/protocol/mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { artifactBytes, type OtaFixture, openOtaFixture } from './testing.js';

let fx: OtaFixture;
beforeEach(() => {
  fx = openOtaFixture();
});
afterEach(() => fx.close());

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof ProtocolError ? e.code : `not a ProtocolError: ${String(e)}`;
  }
  return undefined;
};

describe('signing keys', () => {
  it('makes an active key on first open, its seed a 0600 file, and rotates keeping old keys valid', () => {
    const first = fx.store.keys.active();
    expect(first?.id).toMatch(/^[0-9a-f]{16}$/);
    const seed = statSync(join(fx.dir, 'keys', `${first?.id}.seed`));
    expect(seed.mode & 0o777).toBe(0o600);
    expect(statSync(join(fx.dir, 'keys')).mode & 0o777).toBe(0o700);

    const signedByFirst = fx.ota.upload(artifactBytes({ modelVersion: 1 }), { sign: true }).model;
    const second = fx.ota.keys.rotate();
    expect(second.id).not.toBe(first?.id);
    expect(fx.store.keys.active()?.id).toBe(second.id);
    expect(fx.store.keys.get(first?.id ?? '')?.status).toBe('valid');

    // An artifact signed by the old key still verifies; new signatures use the new key.
    const file = fx.ota.objects.read(signedByFirst.objectId) ?? new Uint8Array();
    expect(verifyArtifactSignature(file, fx.ota.keys.trusted()).keyIdHex).toBe(first?.id);
    const v2 = fx.ota.upload(artifactBytes({ modelVersion: 2 }), { sign: true }).model;
    expect(v2.keyId).toBe(second.id);

    // Retired: verifies nothing; the active key cannot be retired.
    expect(() => fx.ota.keys.retire(second.id)).toThrow(/rotate first/);
    fx.ota.keys.retire(first?.id ?? '');
    expect(code(() => verifyArtifactSignature(file, fx.ota.keys.trusted()))).toBe('BAD_SIGNATURE');
  });

  it('keeps keys across a restart', () => {
    const id = fx.store.keys.active()?.id;
    fx.restart();
    expect(fx.store.keys.active()?.id).toBe(id);
    expect(fx.ota.keys.signer().keyId).toBe(id);
  });
});

describe('model upload', () => {
  it('registers a good artifact with its header facts, stored content-addressed', () => {
    const signed = signArtifact(artifactBytes({ modelVersion: 7 }), fx.ota.keys.signer().key);
    const { model, created } = fx.ota.upload(signed, { cores: ['cortex-m7'] });
    const parsed = readArtifact(signed);
    expect(created).toBe(true);
    expect(model).toMatchObject({
      name: parsed.name,
      version: 7,
      sha256: Buffer.from(parsed.sha256).toString('hex'),
      objectId: objectIdOf(signed),
      size: signed.length,
      keyId: fx.store.keys.active()?.id,
      arenaInferBytes: parsed.arenaInferBytes,
      abiVersion: 1,
      training: true,
      cores: ['cortex-m7'],
    });
    expect(model.opKinds.length).toBeGreaterThan(0);
    expect(fx.ota.objects.read(model.objectId)).toEqual(signed);
    // The same file again: same record, not a new one.
    expect(fx.ota.upload(signed, {})).toEqual({ model, created: false });
  });

  it('refuses unsigned artifacts unless asked to sign them', () => {
    expect(code(() => fx.ota.upload(artifactBytes(), {}))).toBe('BAD_SIGNATURE');
    const { model } = fx.ota.upload(artifactBytes(), { sign: true });
    const file = fx.ota.objects.read(model.objectId) ?? new Uint8Array();
    expect(readArtifact(file).signature?.keyIdHex).toBe(fx.store.keys.active()?.id);
  });

  it('refuses a tampered artifact and one signed by an unknown key', () => {
    const signed = signArtifact(artifactBytes(), fx.ota.keys.signer().key);
    const tampered = signed.slice();
    tampered[300] = (tampered[300] ?? 0) ^ 0x01;
    expect(code(() => fx.ota.upload(tampered, {}))).toBe('SHA_MISMATCH');

    const stranger = privateKeyFromSeed(new Uint8Array(32).fill(7));
    expect(code(() => fx.ota.upload(signArtifact(artifactBytes(), stranger), {}))).toBe('BAD_SIGNATURE');
    expect(code(() => fx.ota.upload(signArtifact(artifactBytes(), stranger), { sign: true }))).toBe(
      'BAD_SIGNATURE',
    );

    const badSig = signed.slice();
    const last = badSig.length - 1;
    badSig[last] = (badSig[last] ?? 0) ^ 0xff;
    expect(code(() => fx.ota.upload(badSig, {}))).toBe('BAD_SIGNATURE');
    expect(fx.store.models.list({ limit: 10 }).items).toHaveLength(0);
  });

  it("accepts an outside signer's artifact once its public key is imported", () => {
    const seed = new Uint8Array(32).fill(9);
    const other = signArtifact(artifactBytes(), privateKeyFromSeed(seed));
    expect(code(() => fx.ota.upload(other, {}))).toBe('BAD_SIGNATURE');
    const pub = readArtifact(other).signature?.keyIdHex;
    const key = fx.ota.keys.importPublic(rawPublicKey(privateKeyFromSeed(seed)), 'ci');
    expect(key.id).toBe(pub);
    expect(fx.ota.upload(other, {}).model.keyId).toBe(pub);
  });
});
