import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDkimKey } from '../../src/send/dkim.js';

const dir = mkdtempSync(join(tmpdir(), 'pressline-dkim-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(name: string, pem: string): string {
  const file = join(dir, name);
  writeFileSync(file, pem);
  return file;
}

describe('the DKIM key', () => {
  it('is RSA or Ed25519; an EC key (which would sign every message invalidly as rsa-sha256) is refused naming the file', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(readDkimKey(keyFile('rsa.pem', rsa))).toBe(rsa);
    expect(readDkimKey(keyFile('ed.pem', ed))).toBe(ed);
    expect(() => readDkimKey(keyFile('ec.pem', ec))).toThrow(/ec\.pem.*the DKIM key is ec; DKIM signs with an RSA .* or Ed25519 key/);
  });
});
