import { createConnection, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** What the proxy does with connections: pass them on, refuse them, or swallow every byte. */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

/**
 * A TCP proxy on 127.0.0.1 that a test puts between a service and PostgreSQL (or Kafka) to
 * stage an outage without touching the shared server:
 * - `forward`: connections reach the target;
 * - `refuse`: open connections are reset and new ones are closed at once (a database that is down);
 * - `blackhole`: connections stay open but nothing reaches either side (packets held, no reset).
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private mode: ProxyMode = 'forward';

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    // Assigned once the server listens; the connection handler reads it later.
    // eslint-disable-next-line prefer-const
    let proxy!: TcpProxy;
    const server = createServer((client) => proxy.accept(client, targetHost, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  /** `postgres://user@127.0.0.1:5432/db` with the host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  set(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'refuse') for (const socket of this.sockets) socket.resetAndDestroy();
  }

  /** Refuses for `ms`, then forwards again. */
  async outage(ms: number, mode: Exclude<ProxyMode, 'forward'> = 'refuse'): Promise<void> {
    this.set(mode);
    await new Promise((r) => setTimeout(r, ms));
    this.set('forward');
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host, port });
    const pair = [client, upstream];
    for (const socket of pair) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        for (const other of pair) if (other !== socket) other.destroy();
      });
    }
    // Bytes pass only while forwarding; a black hole reads and drops them, like a lost route.
    client.on('data', (chunk) => {
      if (this.mode === 'forward') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.mode === 'forward') client.write(chunk);
    });
  }
}
