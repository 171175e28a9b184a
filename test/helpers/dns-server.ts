/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, ephemeral port) answering A, AAAA, TXT and
 * MX from a table the test owns and may change between questions. Enough for node:dns's Resolver
 * pointed at it with setServers(['127.0.0.1:<port>']); no recursion, no compression on input.
 * A name not in the table is NXDOMAIN; a name in it without the type asked is an empty NOERROR.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

export interface DnsRecords {
  A?: string[];
  AAAA?: string[];
  /** Each string is one TXT record (split into 255-byte character-strings on the wire). */
  TXT?: string[];
  MX?: { priority: number; exchange: string }[];
}

export interface TestDnsServer {
  port: number;
  /** `127.0.0.1:<port>`, for PRESSLINE_DNS_SERVER or Resolver.setServers. */
  address: string;
  /** lower-case name (no trailing dot) → records; change it freely between questions. */
  zone: Map<string, DnsRecords>;
  /** Every question seen: `TXT _dmarc.example.org`. */
  queries: string[];
  close(): Promise<void>;
}

const TYPES: Record<number, keyof DnsRecords> = { 1: 'A', 28: 'AAAA', 16: 'TXT', 15: 'MX' };

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  while (at < msg.length) {
    const len = msg[at]!;
    if (len === 0) return { name: labels.join('.'), end: at + 1 };
    if (len >= 0xc0) throw new Error('compressed question names are not expected');
    labels.push(msg.subarray(at + 1, at + 1 + len).toString('latin1'));
    at += 1 + len;
  }
  throw new Error('truncated name');
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])), Buffer.from([0])]);
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

function rdata(type: keyof DnsRecords, value: string | { priority: number; exchange: string }): Buffer {
  switch (type) {
    case 'A':
      if (!isIPv4(value as string)) throw new Error(`bad A ${String(value)}`);
      return Buffer.from((value as string).split('.').map(Number));
    case 'AAAA':
      if (!isIPv6(value as string)) throw new Error(`bad AAAA ${String(value)}`);
      return ipv6Bytes(value as string);
    case 'TXT': {
      const bytes = Buffer.from(value as string, 'utf8');
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length || i === 0; i += 255) {
        const part = bytes.subarray(i, i + 255);
        chunks.push(Buffer.from([part.length]), part);
      }
      return Buffer.concat(chunks);
    }
    case 'MX': {
      const mx = value as { priority: number; exchange: string };
      const pref = Buffer.alloc(2);
      pref.writeUInt16BE(mx.priority);
      return Buffer.concat([pref, encodeName(mx.exchange)]);
    }
  }
}

export async function startDnsServer(zone: Record<string, DnsRecords> = {}): Promise<TestDnsServer> {
  const table = new Map(Object.entries(zone).map(([k, v]) => [k.toLowerCase(), v]));
  const queries: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg: Buffer, peer: RemoteInfo) => {
    try {
      const id = msg.readUInt16BE(0);
      const { name, end } = readName(msg, 12);
      const qtype = msg.readUInt16BE(end);
      const question = msg.subarray(12, end + 4);
      const typeName = TYPES[qtype];
      queries.push(`${typeName ?? qtype} ${name}`);
      const records = table.get(name.toLowerCase().replace(/\.$/, ''));
      const values = (typeName && records?.[typeName]) || [];
      const answers = (values as (string | { priority: number; exchange: string })[]).map((v) => {
        const data = rdata(typeName!, v);
        const rr = Buffer.alloc(12);
        rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
        rr.writeUInt16BE(qtype, 2);
        rr.writeUInt16BE(1, 4); // IN
        rr.writeUInt32BE(60, 6);
        rr.writeUInt16BE(data.length, 10);
        return Buffer.concat([rr, data]);
      });
      const header = Buffer.alloc(12);
      header.writeUInt16BE(id, 0);
      // QR, AA, RD copied, RA; rcode 3 (NXDOMAIN) for a name not in the table.
      header.writeUInt16BE(0x8000 | 0x0400 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | (records ? 0 : 3), 2);
      header.writeUInt16BE(1, 4);
      header.writeUInt16BE(answers.length, 6);
      socket.send(Buffer.concat([header, question, ...answers]), peer.port, peer.address);
    } catch {
      /* a malformed question gets no answer: the client times out */
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    zone: table,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
