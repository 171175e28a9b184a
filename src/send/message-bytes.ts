import nodemailer from 'nodemailer';
import type { OutgoingMail } from '../mime/message.js';
import { createDkimSigner, type DkimKey } from './dkim-sign.js';
import { toMailOptions } from './nodemailer-adapter.js';

/** Turns messages into the exact bytes a transport hands on (see createMessageBytes). */
export interface MessageBytes {
  build(mail: OutgoingMail): Promise<Buffer>;
  close(): void;
}

/**
 * A message's bytes as they leave pressline: the mail options every transport uses
 * (toMailOptions: our MIME bytes, or nodemailer's with attachments), through nodemailer, then
 * signed when DKIM is configured, with the same signer the SMTP transport streams through
 * (whole-message.ts). The outbox writes these, and `render --contact` previews them.
 */
export function createMessageBytes(dkim?: DkimKey): MessageBytes {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const signer = dkim ? createDkimSigner(dkim) : undefined;
  return {
    async build(mail) {
      const info = await composer.sendMail(toMailOptions(mail));
      const message = info.message as Buffer;
      return signer ? signer.sign(message) : message;
    },
    close: () => composer.close(),
  };
}
