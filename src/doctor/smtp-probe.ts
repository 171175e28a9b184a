import { hostname } from 'node:os';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** What one SMTP conversation with the relay showed (greeting, EHLO, STARTTLS, AUTH; nothing sent). */
export interface SmtpProbe {
  greeting: string;
  /** EHLO keywords, upper-case, after TLS when TLS was used. */
  extensions: string[];
  starttlsOffered: boolean;
  tls: 'implicit' | 'starttls' | 'none';
  authMechanisms: string[];
  auth: 'ok' | 'rejected' | 'not-offered' | 'not-tried';
  /** The server's reply to AUTH when it was refused (never the credentials). */
  authReply?: string;
}

export interface SmtpProbeTarget {
  host: string;
  port: number;
  implicitTls: boolean;
  user?: string | undefined;
  pass?: string | undefined;
  /** Connect from this address, as the worker using this relay does. */
  localAddress?: string | undefined;
  timeoutMs: number;
}

/** An SMTP conversation failed; `step` says where (connect, greeting, EHLO, STARTTLS, AUTH). */
export class SmtpProbeError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads whole (possibly multi-line) SMTP replies from a socket. */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private waiting: ((reply: { code: number; lines: string[] }) => void) | undefined;
  private failed: ((err: Error) => void) | undefined;
  /** A failure that came while nobody waited: the next wait gets it at once. */
  private broken: Error | undefined;
  private queued: { code: number; lines: string[] }[] = [];

  constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      // Bounded: a relay that sends an endless line or reply cannot fill memory.
      this.buffer += chunk;
      if (this.buffer.length > 64 * 1024 || this.lines.length > 1000) {
        this.buffer = '';
        this.lines = [];
        socket.destroy();
        this.fail(new SmtpProbeError('reply', 'the server sent a reply longer than 64 KiB or 1000 lines'));
        return;
      }
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).replace(/\r$/, '');
        this.buffer = this.buffer.slice(nl + 1);
        this.lines.push(line);
        if (/^\d{3}(?: |$)/.test(line)) {
          const reply = { code: Number(line.slice(0, 3)), lines: this.lines };
          this.lines = [];
          const w = this.waiting;
          this.waiting = undefined;
          if (w) w(reply);
          else this.queued.push(reply);
        }
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new SmtpProbeError('connection', 'the server closed the connection')));
  }

  fail(err: Error): void {
    const f = this.failed;
    this.waiting = undefined;
    this.failed = undefined;
    if (f) f(err);
    else this.broken ??= err;
  }

  /** Detaches from the plain socket before a TLS upgrade (the TLS socket reads from it). */
  detach(): void {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
  }

  next(): Promise<{ code: number; lines: string[] }> {
    return new Promise((resolve, reject) => {
      const early = this.queued.shift();
      if (early) return resolve(early);
      if (this.broken) return reject(this.broken);
      this.waiting = resolve;
      this.failed = reject;
    });
  }

  async command(line: string): Promise<{ code: number; lines: string[] }> {
    const reply = this.next();
    this.socket.write(`${line}\r\n`);
    return reply;
  }
}

const text = (reply: { lines: string[] }) => reply.lines.join(' / ').slice(0, 300);

/**
 * Talks to the relay as a send would start to: connect (TLS at once for smtps://), greeting, EHLO,
 * STARTTLS when offered (certificate checked as nodemailer checks it), EHLO again, AUTH when
 * credentials are given; then QUIT. No message is sent. Everything within `timeoutMs`.
 */
export async function probeSmtp(target: SmtpProbeTarget): Promise<SmtpProbe> {
  let socket: Socket | TLSSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let step = 'connect';
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SmtpProbeError(step, `no answer within ${target.timeoutMs / 1000} s`)), target.timeoutMs);
  });
  const run = async (): Promise<SmtpProbe> => {
    socket = await openSocket(target);
    const reader = new ReplyReader(socket);
    step = 'greeting';
    const greeting = await reader.next();
    if (greeting.code !== 220) throw new SmtpProbeError(step, `the server greeted with ${text(greeting)}`);
    const ehloName = hostname().includes('.') ? hostname() : '[127.0.0.1]';
    step = 'EHLO';
    let ehlo = await reader.command(`EHLO ${ehloName}`);
    if (ehlo.code !== 250) throw new SmtpProbeError(step, `EHLO was refused: ${text(ehlo)}`);
    let extensions = keywords(ehlo.lines);
    const starttlsOffered = extensions.some((e) => e === 'STARTTLS');
    let tls: SmtpProbe['tls'] = target.implicitTls ? 'implicit' : 'none';
    if (!target.implicitTls && starttlsOffered) {
      step = 'STARTTLS';
      const go = await reader.command('STARTTLS');
      if (go.code !== 220) throw new SmtpProbeError(step, `STARTTLS was offered but refused: ${text(go)}`);
      reader.detach();
      socket = await upgrade(socket as Socket, target.host);
      reader.attach(socket);
      tls = 'starttls';
      step = 'EHLO';
      ehlo = await reader.command(`EHLO ${ehloName}`);
      if (ehlo.code !== 250) throw new SmtpProbeError(step, `EHLO after STARTTLS was refused: ${text(ehlo)}`);
      extensions = keywords(ehlo.lines);
    }
    const authLine = ehlo.lines.map((l) => l.slice(4).trim()).find((l) => /^AUTH[ =]/i.test(l));
    const authMechanisms = authLine ? authLine.slice(5).trim().toUpperCase().split(/\s+/).filter(Boolean) : [];
    let auth: SmtpProbe['auth'] = 'not-tried';
    let authReply: string | undefined;
    if (target.user !== undefined) {
      step = 'AUTH';
      if (authMechanisms.length === 0) auth = 'not-offered';
      else {
        const reply = await authenticate(reader, authMechanisms, target.user, target.pass ?? '');
        auth = reply.code === 235 ? 'ok' : 'rejected';
        if (auth === 'rejected') authReply = text(reply);
      }
    }
    await reader.command('QUIT').catch(() => undefined);
    return { greeting: text(greeting), extensions, starttlsOffered, tls, authMechanisms, auth, ...(authReply ? { authReply } : {}) };
  };
  try {
    return await Promise.race([run(), timeout]);
  } catch (err) {
    if (err instanceof SmtpProbeError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new SmtpProbeError(step, e.code ? `${e.code}${e.message.includes(e.code) ? '' : `: ${e.message}`}` : e.message);
  } finally {
    clearTimeout(timer);
    (socket as Socket | undefined)?.destroy();
  }
}

/** EHLO reply lines → keywords ("250-STARTTLS" → STARTTLS); the first line is the server's name. */
function keywords(lines: string[]): string[] {
  return lines.slice(1).map((l) => l.slice(4).trim().split(/[ =]/)[0]!.toUpperCase());
}

function openSocket(target: SmtpProbeTarget): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const from = target.localAddress ? { localAddress: target.localAddress } : {};
    const socket = target.implicitTls
      ? tlsConnect({ host: target.host, port: target.port, servername: target.host, ...from }, () => resolve(socket))
      : tcpConnect({ host: target.host, port: target.port, ...from }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function upgrade(plain: Socket, host: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ socket: plain, servername: host }, () => resolve(secure));
    secure.once('error', reject);
  });
}

/** AUTH PLAIN, else LOGIN (what nodemailer prefers too); the reply to the last step. */
async function authenticate(reader: ReplyReader, mechanisms: string[], user: string, pass: string): Promise<{ code: number; lines: string[] }> {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  if (mechanisms.includes('PLAIN') || !mechanisms.includes('LOGIN')) {
    return reader.command(`AUTH PLAIN ${b64(`\u0000${user}\u0000${pass}`)}`);
  }
  const first = await reader.command('AUTH LOGIN');
  if (first.code !== 334) return first;
  const second = await reader.command(b64(user));
  if (second.code !== 334) return second;
  return reader.command(b64(pass));
}
