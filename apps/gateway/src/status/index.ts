/**
 * Local health/status endpoint (node:http, JSON): `GET /health`, `GET /status`, `GET /sessions`, and the
 * local control endpoints `POST /sessions/start`, `POST /sessions/stop`, `POST /samples` (README.md
 * "Status endpoint"). POSTs are accepted only from the loopback interface (the local CLI and local
 * producers); a request from another address gets 403.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorText } from '../errors.js';

/** A POST handler: the parsed JSON body in, an HTTP status and a JSON body out. */
export type PostHandler = (body: unknown) => Promise<{ status: number; body: unknown }>;

export interface StatusServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Largest accepted POST body. */
const MAX_BODY = 4 << 20;

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new RangeError(`body larger than ${MAX_BODY} bytes`);
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? {} : (JSON.parse(text) as unknown);
}

export async function startStatusServer(
  host: string,
  port: number,
  snapshot: () => { healthy: boolean } & Record<string, unknown>,
  posts: Readonly<Record<string, PostHandler>> = {},
): Promise<StatusServer> {
  const onPost = async (req: IncomingMessage, res: ServerResponse, handler: PostHandler) => {
    if (!isLoopback(req.socket.remoteAddress)) {
      send(res, 403, { error: 'local control endpoints answer loopback clients only' });
      return;
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (e) {
      send(res, e instanceof RangeError ? 413 : 400, { error: `bad JSON body: ${errorText(e)}` });
      return;
    }
    try {
      const out = await handler(body);
      send(res, out.status, out.body);
    } catch (e) {
      send(res, 500, { error: errorText(e) });
    }
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = posts[path];
    if (req.method === 'POST' && handler) {
      void onPost(req, res, handler);
      return;
    }
    if (req.method !== 'GET' || !['/health', '/status', '/', '/sessions'].includes(path)) {
      send(res, 404, { error: 'not found' });
      return;
    }
    const s = snapshot();
    if (path === '/sessions') return send(res, 200, { sessions: s.sessions ?? [] });
    const body = path === '/health' ? { healthy: s.healthy, cloud: s.cloud } : s;
    send(res, path === '/health' && !s.healthy ? 503 : 200, body);
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
