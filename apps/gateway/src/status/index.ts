/** Local health/status endpoint (node:http, JSON): `GET /health` and `GET /status`. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StatusServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startStatusServer(
  host: string,
  port: number,
  snapshot: () => { healthy: boolean } & Record<string, unknown>,
): Promise<StatusServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/health' && path !== '/status' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const s = snapshot();
    const body = path === '/health' ? { healthy: s.healthy, cloud: s.cloud } : s;
    res.writeHead(path === '/health' && !s.healthy ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const h = a.address.includes(':') ? `[${a.address}]` : a.address;
  return {
    url: `http://${h}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
