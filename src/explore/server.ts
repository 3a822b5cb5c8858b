import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cut, InputError, oneLine, thrownText } from '../errors';
import { checkApi, designsApi, statechartApi, statechartSvgApi, successorsApi } from './api';
import { PAGE_FILES, pageDir, readPageFile } from './pageAssets';

/** The only address the explorer listens on: it is a local tool, never exposed to a network. */
export const LOOPBACK = '127.0.0.1';
/** Largest request body accepted (a path of MAX_PATH events is far smaller). */
const MAX_BODY = 256 * 1024;

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** A running explorer: its URL and how to stop it. */
export interface ExploreServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) { super(message); }
}

/** A 405 for `path`, with the `Allow` header HTTP requires naming the methods it takes. */
function notAllowed(path: string, methods: readonly string[]): HttpError {
  return new HttpError(405, `${path} takes ${methods[0]}`, { Allow: methods.join(', ') });
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...SECURITY_HEADERS, ...extra });
  res.end(text);
}


/**
 * The request's body as text, at most MAX_BODY bytes: a larger Content-Length is refused before
 * anything is read, and a body that runs past the limit is refused once it does (it is drained,
 * unread, so that the 413 can be sent).
 */
function readBody(req: IncomingMessage): Promise<string> {
  const tooLarge = () => new HttpError(413, `request body larger than ${MAX_BODY / 1024} KiB`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    let refused = false;
    req.on('data', (c: Uint8Array) => {
      if (refused) return;
      bytes += c.length;
      if (bytes > MAX_BODY) { refused = true; chunks.length = 0; reject(tooLarge()); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Requests must name this server by a loopback host (a page on another site that resolves its
 * own name to 127.0.0.1 cannot use the API), and POSTs must be JSON (so a cross-site form
 * cannot send one without a CORS preflight, which is never granted). API requests a browser
 * marks as coming from another site (`Sec-Fetch-Site`, or an `Origin` that is not this server)
 * are refused too: a page elsewhere cannot make the explorer run its checks (an `<img>` pointing
 * at `/api/check` would otherwise start one).
 */
function checkOrigin(req: IncomingMessage, port: number, api: boolean): void {
  const host = (req.headers.host ?? '').toLowerCase();
  const ok = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!ok.includes(host)) throw new HttpError(403, `requests must be addressed to 127.0.0.1:${port}, got Host '${cut(host, 80)}'`);
  if (!api) return;
  const site = req.headers['sec-fetch-site']?.toString();
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, `the API answers this server's own page only, not a ${cut(site, 20)} request`);
  const origin = req.headers.origin;
  if (origin !== undefined && !ok.some((h) => origin.toLowerCase() === `http://${h}`)) throw new HttpError(403, `the API answers this server's own page only, not one from ${cut(origin, 80)}`);
}

/** The API's endpoints and the query parameters each takes. */
const API_QUERY = new Map<string, readonly string[]>([
  ['/api/designs', []],
  ['/api/check', ['design', 'devices']],
  ['/api/statechart', ['design', 'devices']],
  ['/api/statechart.svg', ['design']],
  ['/api/successors', []],
]);

/** The query parameters of `url`, refused (400) if any is not in `allowed` or is given twice. */
function queryOf(url: URL, allowed: readonly string[]): (k: string) => string | undefined {
  const seen = new Set<string>();
  for (const k of url.searchParams.keys()) {
    if (!allowed.includes(k)) throw new InputError(`${url.pathname} takes ${allowed.length ? `the query parameters ${allowed.join(', ')}` : 'no query parameters'}, got '${cut(k, 40)}'`);
    if (seen.has(k)) throw new InputError(`${url.pathname}: the query parameter '${k}' is given twice`);
    seen.add(k);
  }
  return (k) => url.searchParams.get(k) ?? undefined;
}

async function route(req: IncomingMessage, res: ServerResponse, port: number, closing: AbortSignal): Promise<void> {
  const target = req.url ?? '/';
  // The path as sent: '//x' is a path here, not a host (as `new URL(target, base)` would read it).
  if (!target.startsWith('/')) throw new HttpError(400, 'the request target must be a path');
  let url: URL;
  try {
    url = new URL(`http://${LOOPBACK}:${port}${target}`);
  } catch {
    throw new HttpError(400, 'the request target is not a valid path');
  }
  const p = url.pathname;
  checkOrigin(req, port, p.startsWith('/api/'));
  if (p.startsWith('/api/')) {
    const allowed = API_QUERY.get(p);
    if (allowed === undefined) throw new HttpError(404, `no API endpoint ${cut(p, 80)} (endpoints: ${[...API_QUERY.keys()].join(', ')})`);
    const q = queryOf(url, allowed);
    if (p === '/api/successors') {
      if (req.method !== 'POST') throw notAllowed(p, ['POST']);
      // The media type itself (parameters such as charset aside), not a prefix of it.
      if ((req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() !== 'application/json') throw new InputError(`${p} takes Content-Type: application/json`);
      const text = await readBody(req);
      let body: unknown;
      try { body = JSON.parse(text); } catch (e) { throw new InputError(`malformed JSON body (${(e as Error).message})`); }
      return sendJson(res, 200, await successorsApi(body));
    }
    if (req.method !== 'GET') throw notAllowed(p, ['GET']);
    if (p === '/api/designs') return sendJson(res, 200, await designsApi());
    if (p === '/api/check') return sendJson(res, 200, await checkApi(q('design'), q('devices'), closing));
    if (p === '/api/statechart') return sendJson(res, 200, await statechartApi(q('design'), q('devices'), closing));
    if (p === '/api/statechart.svg') {
      const { svg } = await statechartSvgApi(q('design'));
      res.writeHead(200, { 'Content-Type': 'image/svg+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(svg), ...SECURITY_HEADERS });
      return void res.end(svg);
    }
    throw new Error(`internal: ${p} has no route`);
  }
  const asset = PAGE_FILES[p];
  if (!asset) throw new HttpError(404, `not found: ${p}`);
  if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed(p, ['GET', 'HEAD']);
  const data = readPageFile(asset.file);
  res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': data.length, ...SECURITY_HEADERS });
  res.end(req.method === 'HEAD' ? undefined : data);
}

/**
 * Starts the explorer on 127.0.0.1:`port` (0: a free port). Resolves once it listens; rejects
 * (with the listen error, e.g. EADDRINUSE) if it cannot.
 */
export function startExploreServer(port: number): Promise<ExploreServer> {
  pageDir(); // fail now, not on the first request, when the page is missing
  // Aborted when the server closes: stops the checks under way (they run between requests).
  const closing = new AbortController();
  return new Promise((resolve, reject) => {
    let bound = port;
    const server = createServer((req, res) => {
      route(req, res, bound, closing.signal).catch((e: unknown) => {
        if (res.headersSent) { res.destroy(); return; }
        if (e instanceof InputError) return sendJson(res, 400, { error: oneLine(e.message) });
        // A refused body is not read to its end: the connection closes after the answer.
        if (e instanceof HttpError) return sendJson(res, e.status, { error: oneLine(e.message) }, e.status === 413 ? { ...e.headers, Connection: 'close' } : e.headers);
        sendJson(res, 500, { error: oneLine(`internal error: ${thrownText(e)}`) });
      });
    });
    // Requests Node's parser refuses (headers or URL over 16 KB, malformed HTTP) get a one-line
    // JSON error too, not a bare status line.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return void socket.destroy();
      const [status, text] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
      const body = JSON.stringify({ error: status === 431 ? 'request headers or URL too large (at most 16 KB)' : 'malformed HTTP request' });
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      bound = (server.address() as AddressInfo).port;
      const url = `http://${LOOPBACK}:${bound}/`;
      resolve({
        url,
        port: bound,
        server,
        close: () => new Promise<void>((res, rej) => {
          closing.abort('the explorer closing');
          server.close((err) => (err ? rej(err) : res()));
          server.closeAllConnections();
        }),
      });
    });
  });
}
