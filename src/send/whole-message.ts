import { pipeline, Transform, type Readable } from 'node:stream';
import type { Transporter } from 'nodemailer';
import { createDkimSigner, type DkimKey, type DkimSigner } from './dkim-sign.js';

/**
 * Largest piece handed on at once. Our MIME builder gives the whole message as one Buffer, which
 * a socket would take into its own buffer in one go; in pieces, the connection's backpressure
 * holds the last ones back until the first are on their way, so "read to the end" means nearly
 * every byte left this process.
 */
const PIECE = 64 * 1024;

/** One message being sent: whether its whole data has been handed to the relay yet. */
export interface MessageWatch {
  /** True once the relay connection has read the entire message (the end-of-data dot follows). */
  wholeMessageSent(): boolean;
  /** Forgets the message (call when its attempt has ended, whatever the result). */
  done(): void;
}

/**
 * nodemailer reports a connection lost while the message data was still going out, and one lost
 * after the final dot while waiting for the relay's reply, the same way (ECONNECTION or ETIMEDOUT,
 * command 'CONN', no reply code). Only the second may have been accepted by the relay. This tells
 * them apart from the message stream nodemailer hands to the SMTP connection: that stream is read
 * only after the relay's 354 go-ahead, and it ends when the connection has taken every byte of
 * it. So "not ended" means the relay cannot have the message; "ended" means it may.
 *
 * The stream must be the last stage before the connection, so DKIM signing (which reads its whole
 * input before it writes anything) is done here (src/send/dkim-sign.ts), instead of through
 * the transport's `dkim` option. Returns how to watch one message, by its Message-ID.
 */
export function watchWholeMessages(mailer: Transporter, dkim: DkimKey | undefined): (messageId: string) => MessageWatch {
  const signer = dkim ? createDkimSigner(dkim) : undefined;
  const watched = new Map<string, { whole: boolean }>();
  mailer.use('stream', (mail, callback) => {
    const flag = watched.get(String(mail.data.messageId));
    if (signer || flag) {
      // Our own MIME comes as one Buffer (`raw`): only a large one needs cutting into pieces.
      // nodemailer's MIME (with attachments) is of unknown size, so it always goes through them.
      const raw: unknown = mail.data.raw;
      const large = !Buffer.isBuffer(raw) || raw.length > PIECE;
      mail.message.processFunc((input) => {
        const output = signer ? signedStream(input, signer) : input;
        if (!flag) return output;
        const onEnd = () => (flag.whole = true);
        if (large) return watchedEnd(output, onEnd);
        // 'end' fires once the consumer (the connection's data stream) has read everything; a
        // connection that fails first destroys the stream instead, and 'end' never comes.
        output.once('end', onEnd);
        return output;
      });
    }
    callback();
  });
  return (messageId) => {
    const flag = { whole: false };
    watched.set(messageId, flag);
    return {
      wholeMessageSent: () => flag.whole,
      done: () => {
        if (watched.get(messageId) === flag) watched.delete(messageId);
      },
    };
  };
}

/**
 * `input` in pieces of at most PIECE bytes; `onEnd` runs once the consumer (the connection's data
 * stream) has read every piece. A connection that fails first destroys the stream instead, and
 * `onEnd` never runs. Errors of `input` reach the returned stream (pipeline).
 */
function watchedEnd(input: Readable, onEnd: () => void): Readable {
  const pieces = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      for (let at = 0; at < chunk.length; at += PIECE) this.push(chunk.subarray(at, at + PIECE));
      callback();
    },
  });
  pieces.once('end', onEnd);
  return pipeline(input, pieces, () => undefined);
}

/** `input` whole, signed: a signature covers the entire message, so nothing is written before the end. */
function signedStream(input: Readable, signer: DkimSigner): Readable {
  const chunks: Buffer[] = [];
  const signing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
    flush(callback) {
      try {
        callback(null, signer.sign(Buffer.concat(chunks)));
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  return pipeline(input, signing, () => undefined);
}
