import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../errors';
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
  constructor(readonly status: number, message: string) { super(message); }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...SECURITY_HEADERS });
  res.end(text);
}

/** One line: no newlines reach a client's error display. */
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let tooLarge = false;
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (tooLarge) return; // keep draining so the 413 can be sent
      text += c;
      if (text.length > MAX_BODY) { tooLarge = true; text = ''; reject(new HttpError(413, `request body larger than ${MAX_BODY} characters`)); }
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/**
 * Requests must name this server by a loopback host (a page on another site that resolves its
 * own name to 127.0.0.1 cannot use the API), and POSTs must be JSON (so a cross-site form
 * cannot send one without a CORS preflight, which is never granted).
 */
function checkOrigin(req: IncomingMessage, port: number): void {
  const host = (req.headers.host ?? '').toLowerCase();
  const ok = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!ok.includes(host)) throw new HttpError(403, `requests must be addressed to 127.0.0.1:${port}, got Host '${host}'`);
}

async function route(req: IncomingMessage, res: ServerResponse, port: number, closing: AbortSignal): Promise<void> {
  checkOrigin(req, port);
  const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
  const p = url.pathname;
  const q = (k: string) => url.searchParams.get(k) ?? undefined;
  if (p.startsWith('/api/')) {
    if (p === '/api/successors') {
      if (req.method !== 'POST') throw new HttpError(405, `${p} takes POST`);
      if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) throw new InputError(`${p} takes Content-Type: application/json`);
      const text = await readBody(req);
      let body: unknown;
      try { body = JSON.parse(text); } catch (e) { throw new InputError(`malformed JSON body (${(e as Error).message})`); }
      return sendJson(res, 200, await successorsApi(body));
    }
    if (req.method !== 'GET') throw new HttpError(405, `${p} takes GET`);
    if (p === '/api/designs') return sendJson(res, 200, await designsApi());
    if (p === '/api/check') return sendJson(res, 200, await checkApi(q('design'), q('devices'), closing));
    if (p === '/api/statechart') return sendJson(res, 200, await statechartApi(q('design'), q('devices'), closing));
    if (p === '/api/statechart.svg') {
      const { svg } = await statechartSvgApi(q('design'));
      res.writeHead(200, { 'Content-Type': 'image/svg+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(svg), ...SECURITY_HEADERS });
      return void res.end(svg);
    }
    throw new HttpError(404, `no API endpoint ${p} (endpoints: /api/designs, /api/check, /api/statechart, /api/statechart.svg, /api/successors)`);
  }
  const asset = PAGE_FILES[p];
  if (!asset) throw new HttpError(404, `not found: ${p}`);
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${p} takes GET`);
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
        if (e instanceof HttpError) return sendJson(res, e.status, { error: oneLine(e.message) });
        sendJson(res, 500, { error: oneLine(`internal error: ${(e as Error)?.message ?? String(e)}`) });
      });
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
