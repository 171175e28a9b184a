import { createServer, connect, type Server, type Socket } from 'node:net';

/** How the proxy treats new connections during an outage. */
export type OutageMode = 'refuse' | 'blackhole';

/**
 * A TCP proxy on loopback between the app and a server (PostgreSQL), so a test can make the
 * database blink for its own connections only, without touching the shared server.
 */
export interface TcpProxy {
  port: number;
  /** Connections currently forwarded. */
  readonly open: number;
  /** Local ports of the proxy's connections to the server (how the server sees them: pg_stat_activity.client_port). */
  upstreamPorts(): number[];
  /** Resets every current connection (both sides see the connection drop). */
  cut(): void;
  /**
   * Cuts everything, then for `ms` either refuses new connections (nothing listens) or
   * blackholes them (accepted, never answered); afterwards new connections go through again,
   * and blackholed ones are forwarded late, as a healed network would.
   */
  outage(ms: number, mode: OutageMode): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const held = new Set<Socket>();
  let mode: 'open' | OutageMode = 'open';
  let closed = false;

  const forward = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  };
  const onConnection = (client: Socket) => {
    if (mode === 'blackhole') {
      client.pause();
      held.add(client);
      client.on('error', () => held.delete(client)).on('close', () => held.delete(client));
      return;
    }
    forward(client);
  };

  let server: Server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const listen = () => {
    server = createServer(onConnection);
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  };

  const cut = () => {
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  return {
    port,
    get open() {
      return pairs.size;
    },
    upstreamPorts: () => [...pairs].map((p) => p.upstream.localPort).filter((n): n is number => n !== undefined),
    cut,
    async outage(ms, outageMode) {
      mode = outageMode;
      if (outageMode === 'refuse') server.close();
      cut();
      await new Promise((r) => setTimeout(r, ms));
      if (closed) return;
      if (outageMode === 'refuse') await listen();
      mode = 'open';
      for (const client of held) forward(client);
      held.clear();
    },
    async close() {
      closed = true;
      cut();
      for (const c of held) c.destroy();
      held.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
