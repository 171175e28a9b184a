import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PresslineError } from '../errors.js';

/**
 * The DKIM private key's PEM text, read and parsed now: an unreadable file or a text that is not
 * a private key is CONFIG_INVALID naming the file, instead of every message failing at signing.
 */
export function readDkimKey(file: string): string {
  const where = { file, field: 'dkim.privateKeyFile' };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new PresslineError('CONFIG_INVALID', `cannot read the DKIM key (${code}); fix the path or the file's permissions, or remove \`dkim\` from the config to send unsigned`, where);
  }
  let type: string | undefined;
  try {
    type = createPrivateKey(text).asymmetricKeyType;
  } catch {
    throw new PresslineError('CONFIG_INVALID', 'the DKIM key file holds no private key nodemailer can sign with; point dkim.privateKeyFile at a PEM private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)', where);
  }
  // DKIM signs with rsa-sha256 or ed25519-sha256 (RFC 6376, 8463): any other key would sign every message invalidly.
  if (type !== 'rsa' && type !== 'ed25519') {
    throw new PresslineError('CONFIG_INVALID', `the DKIM key is ${type ?? 'of an unknown type'}; DKIM signs with an RSA (2048 bits or more) or Ed25519 key: point dkim.privateKeyFile at one`, where);
  }
  return text;
}
