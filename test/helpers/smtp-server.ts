/**
 * A real SMTP server (smtp-server) on 127.0.0.1 with an ephemeral port, scriptable to fail the way
 * real relays fail. For tests of the sending engine: mock nothing, script the far end.
 *
 * Replies look like Postfix's: ENHANCEDSTATUSCODES is advertised and every reply carries an enhanced
 * code ("250 2.1.5 Accepted", "250 2.6.0 Ok: queued as 1"). A scripted reply is sent as
 * `<code> <enhanced> <text>`; enhanced undefined → smtp-server's default for the code (550→5.1.1,
 * 451→4.3.0, 421→4.4.2 …), null → none ("550 User unknown"). A 421 anywhere also closes the session.
 * Each connection waits ~100 ms before its greeting (smtp-server's hard-wired early-talker check).
 *
 * WHAT NODEMAILER 10.6 REPORTS (observed with smtp-transport; a pooled transport gave the same shapes
 * for one message per pool; each row is pinned by a test in smtp-server.test.ts). Every failure is a plain Error with:
 *   code          nodemailer's code (below)
 *   command       the SMTP step: 'CONN' | 'RCPT TO' | 'DATA' | 'MAIL FROM' | 'AUTH PLAIN' | 'AUTH LOGIN'
 *   response      the server's whole reply line, e.g. "550 5.1.1 <x@y>: Recipient address rejected: …"
 *   responseCode  the 3-digit code as a number
 *   permanent     responseCode is 5xx and not 503
 *   message       "<nodemailer prefix>: <response>"
 * The last four exist only when the server actually replied. The enhanced code is not a field: parse it
 * from `response` with /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/.
 *
 *   scripted                    code         command      responseCode  message prefix, extras
 *   RCPT 550 5.1.1, only rcpt   EENVELOPE    RCPT TO      550  "Can't send mail - all recipients were rejected";
 *                                                              rejected: [rcpt]; rejectedErrors: [{code EENVELOPE,
 *                                                              command 'RCPT TO', response, responseCode, permanent,
 *                                                              recipient, message "Recipient command failed: <response>"}]
 *   RCPT 550 for 1 of 2 rcpts   (no error)   —            —    info.accepted [ok], info.rejected [bad],
 *                                                              info.rejectedErrors [same shape as above]
 *   RCPT 451 4.7.1 (greylist)   EENVELOPE    RCPT TO      451  as the 550 row, permanent false
 *   RCPT 421 4.7.28             ECONNECTION  CONN         421  "Server closed the connection"; NO rejected /
 *                                                              recipient: the whole connection failed
 *   RCPT 'cut'                  ECONNECTION  CONN         —    "Connection closed unexpectedly" (no response)
 *   DATA 554 5.7.1              EMESSAGE     DATA         554  "Message failed"
 *   DATA 451 4.3.0              EMESSAGE     DATA         451  "Message failed", permanent false
 *   DATA 421 4.3.2              EMESSAGE     DATA         421  "Message failed" (not ECONNECTION; server then closes)
 *   DATA over size limit        EMESSAGE     DATA         552  response "552 5.3.4 Error: message exceeds fixed
 *                                                              maximum message size <n>"
 *   DATA 'cut'                  ECONNECTION  CONN         —    "Connection closed unexpectedly": the server HAD the
 *                                                              whole message — outcome unknown, not "not sent"
 *   DATA 'accept-then-cut'      ECONNECTION  CONN         —    the same error, and the server keeps the message
 *   DATA 'accept-then-hang'     ETIMEDOUT    CONN         —    "Timeout", SOCKET_TIMEOUT, the server keeps the message
 *   DATA 'cut-during-data'      ECONNECTION  CONN         —    (or ESOCKET on a reset) though the message never arrived:
 *   / RCPT 'cut'                                               nodemailer cannot tell a loss before the final dot from
 *                                                              one after it (src/send/whole-message.ts does)
 *   greeting 421 4.3.2          EPROTOCOL    CONN         421  "Invalid greeting. response=<response>" (so the
 *                                                              reply appears twice in message)
 *   greeting 554 5.7.1          EPROTOCOL    CONN         554  same; permanent true, yet it is about the connection
 *                                                              (e.g. a blocklist), not about any recipient
 *   maxConnections exceeded     EPROTOCOL    CONN         421  response "421 <hostname> Too many connected clients,
 *                                                              try again in a moment" (no enhanced code)
 *   greeting 'hang'             ETIMEDOUT    CONN         —    "Greeting never received", timeoutType
 *                                                              'GREETING_TIMEOUT' (after the client's greetingTimeout)
 *   slow RCPT or DATA reply     ETIMEDOUT    CONN         —    "Timeout", timeoutType 'SOCKET_TIMEOUT'
 *                                                              (after the client's socketTimeout)
 *   AUTH wrong password         EAUTH        AUTH PLAIN / 535  "Invalid login", response "535 5.7.8 Error:
 *                                            AUTH LOGIN        authentication failed: authentication failure"
 *   AUTH required, none sent    EENVELOPE    MAIL FROM    530  "Mail command failed", response
 *                                                              "530 5.7.0 Error: authentication Required"
 *   nothing listening           ESOCKET      CONN         —    originalCode 'ECONNREFUSED', errno -111,
 *                                                              syscall 'connect', message "connect ECONNREFUSED <ip:port>"
 *
 * For a classifier: command 'RCPT TO' / 'DATA' with a responseCode is about this message or recipient;
 * command 'CONN' (ECONNECTION, ETIMEDOUT, ESOCKET, EPROTOCOL at greeting) is about the connection, whatever
 * the code — retry elsewhere/later, never suppress the recipient on it.
 */
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

/** One scripted reply. `enhanced` undefined → smtp-server's default for the code; null → none. */
export interface ScriptedReply {
  code: number;
  enhanced?: string | null;
  text?: string;
}

/** Decides the reply to one RCPT TO; `attempt` counts RCPTs for this address, 1-based, over all connections. */
export type RcptRule = (rcpt: string, attempt: number) => ScriptedReply | 'accept' | 'cut' | undefined;

/**
 * Decides the reply after the message body: `rcpts` are the accepted recipients of this transaction;
 * `attempt` counts DATA phases for this exact recipient set (1-based).
 *   'cut'                drops the connection after the whole message has arrived and before any reply;
 *                        the message is kept in `cut`, not in `messages` (the server lost it).
 *   'accept-then-cut'    stores the message (in `messages`: the relay has it and will deliver it), then
 *                        destroys the socket without replying: the reply is lost on the way back.
 *   'accept-then-hang'   stores the message, then never replies: the client's socket timeout ends it.
 *   'cut-during-data'    destroys the socket at the first chunk of the message: it never arrives whole.
 */
export type DataRule = (
  rcpts: string[],
  attempt: number,
) => ScriptedReply | 'accept' | 'cut' | 'accept-then-cut' | 'accept-then-hang' | 'cut-during-data' | undefined;

/** Decides the greeting of the n-th TCP connection (1-based): a reply refuses it; 'hang' never greets. */
export type GreetingRule = (connectionNo: number) => ScriptedReply | 'hang' | undefined;

export interface TestSmtpOptions {
  rcpt?: RcptRule;
  data?: DataRule;
  greeting?: GreetingRule;
  /** Wait before replying to RCPT / after the body; for 'data', `rcpt` is the first recipient. */
  delayMs?: number | ((phase: 'rcpt' | 'data', rcpt: string) => number);
  /** Require AUTH PLAIN/LOGIN (allowed without TLS) with these credentials. */
  auth?: { user: string; pass: string };
  /** More simultaneous connections than this get "421 <name> Too many connected clients". */
  maxConnections?: number;
  /** Server idle timeout (smtp-server `socketTimeout`), default 60 s. */
  socketTimeoutMs?: number;
  /** Message size limit advertised in EHLO and enforced (552 5.3.4). */
  size?: number;
  /** Listen on this port instead of an ephemeral one (a relay that comes back where it was). */
  port?: number;
}

/** One accepted message, as the server received it. */
export interface ReceivedMessage {
  envelopeFrom: string;
  rcpts: string[];
  raw: Buffer;
  /** Lower-cased header names → unfolded value of the first occurrence. */
  headers: Map<string, string>;
  messageId: string;
  receivedAt: number;
  connectionNo: number;
  user: string | undefined;
  /** The client's address as the server saw it (a relay's `localAddress` shows here). */
  remoteAddress: string;
}

/** One RCPT TO as seen, with the reply code the server gave (0 for 'cut'). */
export interface RcptEvent {
  rcpt: string;
  attempt: number;
  code: number;
  at: number;
  connectionNo: number;
}

export interface TestSmtpServer {
  port: number;
  /** smtp://127.0.0.1:port (no credentials in it). */
  url: string;
  /** Messages the server accepted with a 2xx after DATA, in order. */
  messages: ReceivedMessage[];
  /** Messages received in full and then dropped by a data 'cut' (the client saw ECONNECTION). */
  cut: ReceivedMessage[];
  /** Every RCPT TO seen, in order. */
  rcptLog: RcptEvent[];
  /** RCPT TO commands seen for this address (case-insensitive), whatever the reply. */
  attemptsFor(rcpt: string): number;
  /** Accepted messages that carried this address (case-insensitive). */
  deliveredTo(rcpt: string): number;
  /** TCP connections accepted so far (including ones refused at greeting). */
  readonly connections: number;
  /** Connections open right now. */
  readonly openConnections: number;
  /** Errors smtp-server reported (client resets and the like); kept so tests can look. */
  errors: Error[];
  /** Stops listening, drops every connection, cancels pending delays; resolves when nothing is left. */
  close(): Promise<void>;
}

/** Canned replies in the words real servers use (Postfix, postgrey, Gmail). */
export const replies = {
  userUnknown: (rcpt: string): ScriptedReply => ({
    code: 550,
    enhanced: '5.1.1',
    text: `<${rcpt}>: Recipient address rejected: User unknown in virtual mailbox table`,
  }),
  greylisted: (rcpt: string): ScriptedReply => ({
    code: 451,
    enhanced: '4.7.1',
    text: `<${rcpt}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/${rcpt.split('@')[1] ?? ''}.html`,
  }),
  mailboxFull: (rcpt: string): ScriptedReply => ({
    code: 452,
    enhanced: '4.2.2',
    text: `<${rcpt}>: Recipient address rejected: Mailbox full`,
  }),
  rateLimited: (): ScriptedReply => ({
    code: 421,
    enhanced: '4.7.28',
    text: 'Our system has detected an unusual rate of unsolicited mail originating from your IP address. Try again later.',
  }),
  spam: (): ScriptedReply => ({ code: 554, enhanced: '5.7.1', text: 'Message rejected as spam by Content Filtering.' }),
  serviceUnavailable: (): ScriptedReply => ({
    code: 421,
    enhanced: '4.3.2',
    text: 'Service not available, closing transmission channel',
  }),
  tooManyConnections: (): ScriptedReply => ({
    code: 421,
    enhanced: '4.7.0',
    text: 'Too many concurrent SMTP connections; please try again later',
  }),
  queueFailure: (): ScriptedReply => ({ code: 451, enhanced: '4.3.0', text: 'Error: queue file write error' }),
} as const;

type Connection = SMTPServer['connections'] extends Set<infer C> ? C : never;

interface ConnInfo {
  no: number;
  conn: Connection;
}

const ENHANCED_AT_START = /^[245]\.\d{1,3}\.\d{1,3}(?: |$)/;

/** Starts the server; resolves once it listens on 127.0.0.1:<ephemeral port, or `options.port`>. */
export async function startTestSmtp(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const rcptLog: RcptEvent[] = [];
  const cut: ReceivedMessage[] = [];
  const errors: Error[] = [];
  const attempts = new Map<string, number>();
  const dataAttempts = new Map<string, number>();
  const delivered = new Map<string, number>();
  const sockets = new Map<Socket, number>();
  const infoBySession = new WeakMap<SMTPServerSession, ConnInfo>();
  const timers = new Set<NodeJS.Timeout>();
  // Texts that must go out with no enhanced code at all (ScriptedReply.enhanced === null).
  const noEnhanced = new Set<string>();
  let connectionCount = 0;
  let closed = false;

  /** An Error smtp-server turns into the reply `code [enhanced] text`. */
  const replyError = (reply: ScriptedReply, fallbackText: string): Error => {
    const text = reply.text ?? fallbackText;
    // A text that starts with an enhanced code goes out as is (see the send() wrapper in
    // onConnect); one without gets smtp-server's default enhanced code for the reply code.
    const err = Object.assign(new Error(reply.enhanced ? `${reply.enhanced} ${text}` : text), {
      responseCode: reply.code,
    });
    if (reply.enhanced === null) noEnhanced.add(err.message);
    return err;
  };

  const later = (ms: number, fn: () => void): void => {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const delayFor = (phase: 'rcpt' | 'data', rcpt: string): number =>
    typeof options.delayMs === 'function' ? options.delayMs(phase, rcpt) : (options.delayMs ?? 0);

  const serverOptions: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    // Real relays (Postfix, Exchange, Gmail) advertise ENHANCEDSTATUSCODES and use them on every
    // reply; smtp-server hides them unless told otherwise.
    hideENHANCEDSTATUSCODES: false,
    hideSTARTTLS: true,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.auth,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    ...(options.maxConnections ? { maxClients: options.maxConnections } : {}),
    ...(options.socketTimeoutMs ? { socketTimeout: options.socketTimeoutMs } : {}),
    ...(options.size ? { size: options.size, rejectOversized: true } : {}),

    onConnect(session, callback) {
      const conn = [...smtp.connections].find((c) => c.session === session);
      if (!conn) return callback(new Error('connection vanished'));
      const info: ConnInfo = { no: sockets.get(conn._socket as Socket) ?? 0, conn };
      infoBySession.set(session, info);
      // Scripted texts carry their own enhanced code; keep smtp-server from prefixing a second one.
      const send = conn.send.bind(conn);
      conn.send = (code, data, context) => {
        if (typeof data === 'string' && (ENHANCED_AT_START.test(data) || noEnhanced.has(data))) {
          return send(code, data, false);
        }
        return send(code, data, context);
      };
      const rule = options.greeting?.(info.no);
      if (rule === 'hang') return; // never greet; close() destroys the socket
      if (rule) return callback(replyError(rule, 'Service not available'));
      callback();
    },

    onAuth(auth, _session, callback) {
      const want = options.auth;
      if (want && auth.username === want.user && auth.password === want.pass) {
        return callback(null, { user: auth.username });
      }
      callback(replyError({ code: 535, enhanced: '5.7.8', text: 'Error: authentication failed: authentication failure' }, ''));
    },

    onRcptTo(address, session, callback) {
      const rcpt = address.address;
      const key = rcpt.toLowerCase();
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const info = infoBySession.get(session);
      const rule = options.rcpt?.(rcpt, attempt);
      const log = (code: number): void => {
        rcptLog.push({ rcpt, attempt, code, at: Date.now(), connectionNo: info?.no ?? 0 });
      };
      later(delayFor('rcpt', rcpt), () => {
        if (rule === 'cut') {
          log(0);
          info?.conn._socket.destroy();
          return;
        }
        if (rule && rule !== 'accept' && rule.code >= 400) {
          log(rule.code);
          return callback(replyError(rule, 'Recipient address rejected'));
        }
        log(250);
        callback();
      });
    },

    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      const rcpts = session.envelope.rcptTo.map((r) => r.address);
      const setKey = rcpts.map((r) => r.toLowerCase()).sort().join(',');
      const attempt = (dataAttempts.get(setKey) ?? 0) + 1;
      dataAttempts.set(setKey, attempt);
      const info = infoBySession.get(session);
      const rule = options.data?.(rcpts, attempt);
      stream.on('data', (chunk: Buffer) => {
        if (rule === 'cut-during-data') {
          info?.conn._socket.destroy();
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (rule === 'cut-during-data') return;
        const raw = Buffer.concat(chunks);
        const headers = parseHeaders(raw);
        const received: ReceivedMessage = {
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpts,
          raw,
          headers,
          messageId: headers.get('message-id') ?? '',
          receivedAt: Date.now(),
          connectionNo: info?.no ?? 0,
          user: typeof session.user === 'string' ? session.user : undefined,
          remoteAddress: session.remoteAddress,
        };
        if (rule === 'cut') {
          // The whole message is in; the client now waits for a reply it will never get.
          cut.push(received);
          info?.conn._socket.destroy();
          return;
        }
        if (rule === 'accept-then-cut' || rule === 'accept-then-hang') {
          // Queued for delivery as a relay would; only the reply is lost (or never sent).
          messages.push(received);
          for (const r of rcpts) delivered.set(r.toLowerCase(), (delivered.get(r.toLowerCase()) ?? 0) + 1);
          if (rule === 'accept-then-cut') info?.conn._socket.destroy();
          return;
        }
        later(delayFor('data', rcpts[0] ?? ''), () => {
          if (rule && rule !== 'accept' && rule.code >= 400) {
            return callback(replyError(rule, 'Error: message rejected'));
          }
          if (stream.sizeExceeded) {
            return callback(); // smtp-server answers 552 itself
          }
          messages.push(received);
          for (const r of rcpts) delivered.set(r.toLowerCase(), (delivered.get(r.toLowerCase()) ?? 0) + 1);
          const text = rule && rule !== 'accept' ? rule.text : undefined;
          callback(null, text ?? `Ok: queued as ${(messages.length).toString(16).toUpperCase().padStart(10, '0')}`);
        });
      });
    },
  };

  const smtp = new SMTPServer(serverOptions);
  smtp.on('error', (err: Error) => errors.push(err));
  smtp.server.on('connection', (socket: Socket) => {
    sockets.set(socket, ++connectionCount);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(options.port ?? 0, '127.0.0.1', () => {
      smtp.server.off('error', reject);
      resolve();
    });
  });
  const address = smtp.server.address();
  if (!address || typeof address === 'string') throw new Error('test SMTP server has no TCP address');
  const port = address.port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    cut,
    rcptLog,
    errors,
    attemptsFor: (rcpt) => attempts.get(rcpt.toLowerCase()) ?? 0,
    deliveredTo: (rcpt) => delivered.get(rcpt.toLowerCase()) ?? 0,
    get connections() {
      return connectionCount;
    },
    get openConnections() {
      return sockets.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const stopped = new Promise<void>((resolve) => smtp.close(() => resolve()));
      const gone = [...sockets.keys()].map((socket) => {
        const closedNow = new Promise<void>((resolve) => {
          if (socket.closed) return resolve();
          socket.once('close', () => resolve());
        });
        socket.destroy();
        return closedNow;
      });
      await Promise.all([stopped, ...gone]);
    },
  };
}

/** Header block → lower-cased name → unfolded value (first occurrence wins). */
export function parseHeaders(raw: Buffer): Map<string, string> {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end === -1 ? text : text.slice(0, end);
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}
