/**
 * A local SMTP server that accepts every message and keeps it as an .eml file: the place to point
 * `SMTP_URL` at while trying pressline out, and the target of the sending benchmarks.
 *
 * Files: `<dir>/<UTC timestamp>-<seq>-<first recipient>.eml`, e.g.
 * `20250301T101502123Z-000042-anna_news.example.eml` (names sort in arrival order). Each file is the
 * message exactly as received over DATA (CRLF line ends, dot-unstuffed), preceded by two envelope
 * header lines the message itself cannot carry (Bcc recipients only exist in the envelope):
 *
 *   X-Pressline-Envelope-From: <press@office.example>      (`<>` for the null sender)
 *   X-Pressline-Envelope-To: <anna@news.example>, <kai@wire.example>
 *
 * A file appears under its final name only once complete (written as `.part`, then renamed), and the
 * client gets its 250 only after that, so a sent message is on disk when `sendMail` resolves.
 * With `dir: null` nothing is written: messages are read, counted and dropped (benchmarks).
 */
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import path from 'node:path';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { PresslineError } from '../errors.js';

export interface SinkOptions {
  /** Port to listen on; 0 picks a free one. Default 2525. */
  port?: number;
  /** Address to bind. Default 127.0.0.1: the sink has no auth, so it stays off the network. */
  host?: string;
  /** Folder for .eml files (created if missing); null keeps nothing and only counts. Default outbox/sink. */
  dir?: string | null;
  /** Largest message accepted (advertised as SIZE, enforced with 552 5.3.4). Default 25 MiB. */
  maxBytes?: number;
  /** Called once per accepted message, after it is stored. */
  onMessage?: (message: SinkMessage) => void;
  /** Called when a message could not be stored (the client got a 451). */
  onError?: (err: Error) => void;
}

/** What the sink did with one accepted message. */
export interface SinkMessage {
  seq: number;
  from: string;
  rcpts: string[];
  /** Size of the message as received (without the envelope header lines). */
  bytes: number;
  /** Path of the .eml file, or null in counting mode. */
  file: string | null;
  receivedAt: Date;
}

/** A running sink; `close()` resolves once the port is free and every accepted message is on disk. */
export interface Sink {
  host: string;
  port: number;
  /** smtp://host:port, ready for SMTP_URL. */
  url: string;
  dir: string | null;
  /** Messages accepted so far. */
  readonly count: number;
  /** Bytes accepted so far (message bodies as received). */
  readonly bytes: number;
  close(): Promise<void>;
}

const DEFAULT_MAX_BYTES = 25 * 1024 * 1024;
/** How long close() lets a message that is still arriving finish before dropping the connection. */
const CLOSE_GRACE_MS = 2_000;

/** Starts the sink; resolves once it listens. Throws PresslineError (exit 2) if it cannot. */
export async function startSink(options: SinkOptions = {}): Promise<Sink> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 2525;
  const dir = options.dir === undefined ? 'outbox/sink' : options.dir;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;

  if (dir !== null) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new PresslineError(
        'FILE_UNREADABLE',
        `cannot create the sink folder: ${(err as Error).message}; pick another with --dir`,
        { file: dir },
      );
    }
  }

  let seq = 0;
  let count = 0;
  let bytes = 0;
  let closing: Promise<void> | undefined;
  const sockets = new Set<Socket>();
  // Sessions whose message is being received or stored: close() lets these finish.
  const busy = new Set<SMTPServerSession>();
  const inFlight = new Set<Promise<void>>();

  const smtp = new SMTPServer({
    logger: false,
    banner: 'pressline sink',
    // Everything below spares per-connection work: no PTR lookup, no TLS, no AUTH.
    disableReverseLookup: true,
    hideSTARTTLS: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    hideENHANCEDSTATUSCODES: false,
    size: maxBytes,
    rejectOversized: true,

    onData(stream, session, callback) {
      busy.add(session);
      const n = ++seq;
      const receivedAt = new Date();
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const rcpts = session.envelope.rcptTo.map((r) => r.address);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit the message is refused anyway; stop holding it in memory.
        if (dir !== null && size <= maxBytes) chunks.push(chunk);
      });
      const done = new Promise<void>((resolve) => {
        let settled = false;
        const finish = (err: Error | null, file: string | null): void => {
          if (settled) return;
          settled = true;
          busy.delete(session);
          resolve();
          if (err) {
            options.onError?.(err);
            return callback(Object.assign(new Error(`Error: could not store message: ${err.message}`), { responseCode: 451 }));
          }
          if (stream.sizeExceeded) return callback(); // smtp-server answers 552 5.3.4 itself
          count++;
          bytes += size;
          options.onMessage?.({ seq: n, from, rcpts, bytes: size, file, receivedAt });
          callback(null, `Ok: queued as ${n}`);
        };
        stream.once('error', (err: Error) => finish(err, null));
        stream.once('end', () => {
          if (dir === null || stream.sizeExceeded) return finish(null, null);
          const file = path.join(dir, fileName(receivedAt, n, rcpts[0] ?? 'no-recipient'));
          const head = Buffer.from(
            `X-Pressline-Envelope-From: <${from}>\r\n` +
              `X-Pressline-Envelope-To: ${rcpts.map((r) => `<${r}>`).join(', ')}\r\n`,
          );
          const part = `${file}.part`;
          writeFile(part, Buffer.concat([head, ...chunks], head.length + size), { flag: 'wx' })
            .then(() => rename(part, file))
            .then(
              () => finish(null, file),
              (err: Error) => {
                unlink(part).catch(() => undefined);
                finish(err, null);
              },
            );
        });
      });
      inFlight.add(done);
      void done.then(() => inFlight.delete(done));
    },
  });
  // Client resets and the like: the connection is gone, nothing to do for the sink.
  smtp.on('error', () => undefined);
  smtp.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new PresslineError('USAGE', `port ${requestedPort} on ${host} is already in use; pick another with --port`)
          : new PresslineError('USAGE', `cannot listen on ${host}:${requestedPort}: ${err.message}`),
      );
    };
    smtp.server.once('error', onError);
    smtp.listen(requestedPort, host, () => {
      smtp.server.off('error', onError);
      resolve();
    });
  });
  const address = smtp.server.address();
  const port = address && typeof address === 'object' ? address.port : requestedPort;

  return {
    host,
    port,
    url: `smtp://${host.includes(':') ? `[${host}]` : host}:${port}`,
    dir,
    get count() {
      return count;
    },
    get bytes() {
      return bytes;
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => smtp.close(() => resolve()));
        // 421 then a graceful end: clients requeue what they had not sent yet.
        const sayGoodbye = (): void => {
          for (const conn of smtp.connections) {
            if (!busy.has(conn.session)) conn.send(421, 'Server shutting down');
          }
        };
        sayGoodbye(); // idle sessions (a pooled client between messages) go now
        await settleWithin(Promise.all(inFlight), CLOSE_GRACE_MS);
        sayGoodbye(); // sessions whose message was just stored, after their 250
        await settleWithin(Promise.all([...sockets].map(closed)), 1_000);
        for (const socket of sockets) socket.destroy();
        await Promise.all([...sockets].map(closed));
        await stopped;
      })();
      return closing;
    },
  };
}

/** Resolves when the promise settles or after `ms`, whichever comes first. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

function closed(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.closed) return resolve();
    socket.once('close', () => resolve());
  });
}

/** `20250301T101502123Z-000042-anna_news.example.eml`: sortable, and safe on every file system. */
export function fileName(at: Date, seq: number, firstRcpt: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  const who =
    firstRcpt
      .toLowerCase()
      .replace(/@/g, '_')
      .replace(/[^a-z0-9._+-]/g, '-')
      .replace(/^\.+/, '')
      .slice(0, 64) || 'recipient';
  return `${stamp}-${String(seq).padStart(6, '0')}-${who}.eml`;
}
