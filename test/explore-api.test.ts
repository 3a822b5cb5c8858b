/**
 * The explorer's HTTP API without a browser: verdicts agree with checkDesign, a state named by
 * its path is the replay of that path, the last state of every counterexample breaks its
 * invariant, actions agree with the modelled callers, and bad requests get one-line errors.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerActions } from '../src/iommu/callers';
import { checkDesign } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { formatEvent, type IommuEvent } from '../src/iommu/events';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { replayEvents } from '../src/iommu/replay';
import { checkApi } from '../src/explore/api';
import { startExploreServer, type ExploreServer } from '../src/explore/server';

let server: ExploreServer;
beforeAll(async () => { server = await startExploreServer(0); });
afterAll(async () => { await server?.close(); });

async function get(path: string) {
  const r = await fetch(server.url + path.replace(/^\//, ''));
  return { status: r.status, headers: r.headers, body: await r.text() };
}
async function post(body: unknown, contentType = 'application/json') {
  const r = await fetch(`${server.url}api/successors`, { method: 'POST', headers: { 'Content-Type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as any };
}
const v7 = async () => (await loadDesigns()).find((d) => d.name === 'v7')!;
/** A request with exactly these headers (Host is this server's unless given). */
function raw(path: string, headers: Record<string, string>, method = 'GET', body?: string | Buffer): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers: { Host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('explore API', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(server.server.address()).toMatchObject({ address: '127.0.0.1' });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('lists the designs and the bounds it accepts', async () => {
    const r = JSON.parse((await get('/api/designs')).body);
    expect(r.designs.map((d: { name: string }) => d.name)).toContain('v7');
    expect(r.devices).toEqual({ min: 1, max: 4, default: 2 });
    expect(r.invariants.map((i: { name: string }) => i.name)).toEqual((await loadInvariants()).map((i) => i.name));
  });

  it('gives the verdicts and counterexamples of checkDesign', async () => {
    const dc = checkDesign(await v7(), 2, await loadInvariants());
    const r = JSON.parse((await get('/api/check?design=v7&devices=2')).body);
    expect(r.states).toBe(dc.result.states);
    expect(r.verdicts.map((v: { name: string; verdict: string }) => [v.name, v.verdict])).toEqual(dc.verdicts.map((v) => [v.name, v.verdict]));
    for (const v of dc.verdicts) {
      if (v.verdict !== 'violated') continue;
      const got = r.verdicts.find((x: { name: string }) => x.name === v.name);
      expect(got.counterexample).toEqual(v.counterexample);
      expect(got.explanation).toBe(v.explanation);
    }
  });

  it("marks the last state of every counterexample as breaking its invariant (explained as check explains it), and the initial state as breaking none", async () => {
    const dc = checkDesign(await v7(), 2, await loadInvariants());
    const init = await post({ design: 'v7', devices: 2, path: [] });
    expect(init.json.states).toHaveLength(1);
    expect(init.json.states[0].invariants.filter((i: { status: string }) => i.status === 'broken')).toEqual([]);
    for (const v of dc.verdicts) {
      if (v.verdict !== 'violated') continue;
      const r = await post({ design: 'v7', devices: 2, path: v.counterexample });
      const states = r.json.states;
      expect(states).toHaveLength(v.counterexample.length + 1);
      const last = states[states.length - 1].invariants.find((i: { name: string }) => i.name === v.name);
      expect(last.status, v.name).toBe('broken');
      expect(last.detail, v.name).toBe(v.explanation);
      // Shortest: no earlier state on the path breaks it.
      for (const s of states.slice(0, -1)) expect(s.invariants.find((i: { name: string }) => i.name === v.name).status, v.name).toBe('ok');
    }
  });

  it('agrees with check on every design: each counterexample ends in a state the page shows breaking it', async () => {
    for (const d of await loadDesigns()) {
      const check = JSON.parse((await get(`/api/check?design=${d.name}&devices=2`)).body);
      for (const v of check.verdicts.filter((x: { verdict: string }) => x.verdict === 'violated')) {
        const r = await post({ design: d.name, devices: 2, path: v.counterexample });
        const last = r.json.states.at(-1).invariants.find((i: { name: string }) => i.name === v.name);
        expect(last, `${d.name} ${v.name}`).toEqual({ name: v.name, status: 'broken', detail: v.explanation });
      }
      for (const v of check.verdicts.filter((x: { verdict: string }) => x.verdict === 'n/a')) {
        const r = await post({ design: d.name, devices: 2, path: [] });
        expect(r.json.states[0].invariants.find((i: { name: string }) => i.name === v.name), `${d.name} ${v.name}`).toEqual({ name: v.name, status: 'n/a', detail: v.reason });
      }
    }
  });

  it('replays the path: fields, return codes and changed fields of each step', async () => {
    const path: IommuEvent[] = [{ type: 'bind_driver', dev: 0, driver: 'kernel' }, { type: 'probe_device', dev: 0 }, { type: 'unbind_driver', dev: 0 }];
    const trace = replayEvents(await v7(), 2, path);
    const r = await post({ design: 'v7', devices: 2, path });
    expect(r.status).toBe(200);
    const steps = r.json.states.slice(1);
    expect(steps.map((s: { call: string; ret: number; warn: boolean }) => [s.call, s.ret, s.warn])).toEqual(trace.map((t) => [formatEvent(t.event), t.ret, t.warn]));
    expect(steps[0].changed).toEqual(['devices.0.driver']);
    expect(steps[1].changed).toEqual(['devices.0.in_group', 'devices.0.domain']);
    expect(steps[1].view.devices[0]).toMatchObject({ in_group: true, driver: 'kernel', domain: 'default', counted: false });
    expect(steps[2].view.group).toEqual({ owner_cnt: 0, owner: null, domain: 'default', fd_openable: false });
    expect(steps[2].invariants.find((i: { name: string }) => i.name === 'no-warn')).toMatchObject({ status: 'broken' });
  });

  it("offers exactly the callers' enabled actions, each leading where replaying it leads", async () => {
    const design = await v7();
    const path: IommuEvent[] = [{ type: 'probe_device', dev: 0 }, { type: 'bind_driver', dev: 0, driver: 'vfio' }];
    const r = await post({ design: 'v7', devices: 2, path });
    const context = replayEvents(design, 2, path)[1].context;
    const expected = callerActions(2).filter((a) => a.enabled(context)).map((a) => formatEvent(a.event));
    const enabled = r.json.actions.filter((a: { enabled: boolean }) => a.enabled);
    expect(enabled.map((a: { call: string }) => a.call)).toEqual(expected);
    expect(expected).toContain('claim(owner=file1)');
    for (const a of enabled) {
      const next = replayEvents(design, 2, [...path, a.event]).at(-1)!;
      expect(a.outcome, a.call).toEqual({ ret: next.ret, retName: expect.any(String), warn: next.warn, state: next.state });
    }
  });

  it('answers bad requests with 400 and a one-line error', async () => {
    const cases: [Promise<{ status: number; body?: string; json?: any }>, RegExp][] = [
      [get('/api/check?design=v7&devices=5'), /explorer takes 1 to 4 devices.*dmaown check --devices 5/],
      // Below the range there is nothing larger to offer.
      [get('/api/check?design=v7&devices=0'), /^devices 0 is out of range: the explorer takes 1 to 4 devices$/],
      // Past 8 devices check needs --symmetry; past 16 it takes none; a huge number is cut, not written as 1e+23.
      [get('/api/check?design=v7&devices=9'), /takes 1 to 4 devices \(use 'dmaown check --devices 9 --symmetry' for larger bounds\)$/],
      [get('/api/check?design=v7&devices=17'), /^devices 17 is out of range: the explorer takes 1 to 4 devices$/],
      [get('/api/check?design=v7&devices=99999999999999999999999'), /^devices 999999999\.\.\. is out of range: the explorer takes 1 to 4 devices$/],
      [post(`{"design": "v7", "devices": 2, "path": [${'['.repeat(5000)}${']'.repeat(5000)}]}`), /path\[0\]: an event must be a JSON object, got \(an array nested too deeply to show\)/],
      [get('/api/check?design=v7&devices=two'), /devices must be a whole number/],
      [get('/api/check?design=nope&devices=2'), /unknown design 'nope' \(known: .*v7/],
      [get('/api/statechart?devices=2'), /missing design/],
      [post('{not json'), /malformed JSON body/],
      [post({ design: 'v7', devices: 2, path: [{ type: 'fly' }] }), /path\[0\]: unknown event type "fly"/],
      [post({ design: 'v7', devices: 2, path: [{ type: 'probe_device', dev: 2 }] }), /device 2 is out of range/],
      [post({ design: 'v7', devices: 2, path: [{ type: 'unbind_driver', dev: 0 }] }), /step 0: unbind_driver: device 0 has no driver bound/],
      [post({ design: 'v7', devices: 2, path: 'x' }), /path must be a JSON array/],
      [post({ design: 'v7', devices: 2, extra: 1 }), /unknown field 'extra'/],
      [post({ design: 'v7', devices: 2 }, 'text/plain'), /takes Content-Type: application\/json/],
      [post({ design: 'v7', devices: 2 }, 'application/jsonx'), /takes Content-Type: application\/json/],
      // Query parameters are named: an unknown or repeated one is refused, not ignored.
      [get('/api/statechart.svg?design=v7&devices=9'), /^\/api\/statechart\.svg takes the query parameters design, got 'devices'$/],
      [get('/api/check?design=v7&devices=2&devices=3'), /^\/api\/check: the query parameter 'devices' is given twice$/],
      [get('/api/designs?x=1'), /^\/api\/designs takes no query parameters, got 'x'$/],
      // A design that is not a name is said to be one, and a long unknown name is cut.
      [post({ design: 7, devices: 2 }), /^design must be a design's name, got 7 \(known: /],
      [get(`/api/check?design=${'x'.repeat(5000)}&devices=2`), /^unknown design 'x{57}\.\.\.' \(known: /],
      [post({ design: 'v7', devices: 1e21 }), /^devices 100000000\.\.\. is out of range: the explorer takes 1 to 4 devices$/],
    ];
    for (const [p, re] of cases) {
      const r = await p;
      const body = r.json ?? JSON.parse(r.body!);
      expect(r.status, String(re)).toBe(400);
      expect(body.error).toMatch(re);
      expect(body.error).not.toContain('\n');
    }
  });

  it('refuses other methods, unknown paths and foreign Host headers', async () => {
    // A 405 names the methods the path takes in its Allow header.
    for (const [path, method, allow] of [['/api/successors', 'GET', 'POST'], ['/api/designs', 'HEAD', 'GET'], ['/api/check?design=v7&devices=1', 'POST', 'GET'], ['/app.js', 'DELETE', 'GET, HEAD']]) {
      const r = await raw(path, {}, method);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.allow, `${method} ${path}`).toBe(allow);
    }
    expect((await get('/api/nothing')).status).toBe(404);
    expect((await get('/api/nothing?design=v7')).status).toBe(404);
    expect((await get('/../package.json')).status).toBe(404);
    expect((await raw('/api/designs', { Host: 'attacker.example:80' })).status).toBe(403);
    // '//app.js' is a path (not found), not the host 'app.js' with the path '/'.
    expect((await raw('//app.js', {})).status).toBe(404);
    expect((await raw('//x/api/designs', {})).status).toBe(404);
  });

  it('refuses API requests a browser marks as coming from another site; the page itself is still served', async () => {
    const foreign = await raw('/api/check?design=v7&devices=1', { 'Sec-Fetch-Site': 'cross-site' });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error).toBe("the API answers this server's own page only, not a cross-site request");
    expect((await raw('/api/designs', { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await raw('/api/successors', { Origin: 'http://evil.example', 'Content-Type': 'application/json' }, 'POST', '{"design":"v7","devices":1}')).status).toBe(403);
    // The page's own requests, and a URL typed into the address bar, are answered.
    expect((await raw('/api/designs', { 'Sec-Fetch-Site': 'same-origin', Origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
    expect((await raw('/api/designs', { 'Sec-Fetch-Site': 'none' })).status).toBe(200);
    expect((await raw('/', { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(200);
  });

  it("answers what Node's HTTP parser refuses (a URL over 16 KB, a request that is not HTTP) with a JSON one-line error", async () => {
    const long = await get(`/api/check?design=${'x'.repeat(20_000)}&devices=2`);
    expect([long.status, JSON.parse(long.body).error]).toEqual([431, 'request headers or URL too large (at most 16 KB)']);
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = connect(server.port, '127.0.0.1', () => sock.write('GARBAGE\r\n\r\n'));
      let text = '';
      sock.setEncoding('utf8');
      sock.on('data', (c: string) => { text += c; });
      sock.on('end', () => resolve(text));
      sock.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'malformed HTTP request' });
    expect((await get('/api/designs')).status).toBe(200);
  });

  it('limits a body to 256 KiB in bytes, and refuses a larger Content-Length before reading it', async () => {
    // 100,000 three-byte characters: 300,000 bytes, under 256 Ki characters.
    const wide = Buffer.from(JSON.stringify({ design: 'v7', devices: 1, path: '\u4e00'.repeat(100_000) }), 'utf8');
    expect(wide.length).toBeGreaterThan(256 * 1024);
    const r = await raw('/api/successors', { 'Content-Type': 'application/json' }, 'POST', wide);
    expect([r.status, JSON.parse(r.body).error]).toEqual([413, 'request body larger than 256 KiB']);
    // A declared length past the limit is answered at once, and the connection is closed.
    const declared = await new Promise<{ status: number; connection: unknown }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/api/successors', method: 'POST', headers: { Host: `127.0.0.1:${server.port}`, 'Content-Type': 'application/json', 'Content-Length': '999999999' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, connection: res.headers.connection });
      });
      req.on('error', reject);
      req.write('{');
    });
    expect(declared).toEqual({ status: 413, connection: 'close' });
    // Under the limit, in bytes, is still read.
    const ok = await raw('/api/successors', { 'Content-Type': 'Application/JSON; charset=utf-8' }, 'POST', Buffer.from(JSON.stringify({ design: 'v7', devices: 1, path: [] }), 'utf8'));
    expect(ok.status).toBe(200);
  });

  it('serves the page and its scripts with a same-origin content security policy', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(page.body).toContain('<script type="module" src="/app.js">');
    expect(page.body).not.toMatch(/https?:\/\//);
    for (const f of ['/app.js', '/statechart.js', '/style.css']) {
      const r = await get(f);
      expect(r.status, f).toBe(200);
      expect(r.body, f).not.toMatch(/(src|href)=["']https?:|import .* from ["']https?:|url\(["']?https?:/);
    }
  });

  it("serves src/diagram's Graphviz statechart as SVG", async () => {
    const r = await get('/api/statechart.svg?design=v7');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(r.body).toMatch(/<svg[\s\S]*<title>user&#45;owned<\/title>/);
    expect(r.body).toContain('claim [claim:domain]');
    expect((await get('/api/statechart.svg?design=nope')).status).toBe(400);
  });

  it('draws the statechart from the reachable states: claim leads from unowned to user-owned', async () => {
    const r = JSON.parse((await get('/api/statechart?design=v7&devices=2')).body);
    expect(r.states.map((s: { name: string }) => s.name)).toEqual(['unowned', 'dma-api', 'private-domain', 'user-owned']);
    expect(r.edges).toContainEqual({ from: 'unowned', to: 'user-owned', events: ['claim'] });
    expect(r.edges.every((e: { from: string; to: string }) => e.from !== e.to)).toBe(true);
  });
});

// lu-owner-param at 4 devices has 15 million states: most of a minute to check.
describe('explore API during a long check', () => {
  it('keeps answering other requests while a check searches, and closing stops the search', async () => {
    const own = await startExploreServer(0);
    let settled = false;
    const long = fetch(`${own.url}api/check?design=lu-owner-param&devices=4`).then((r) => r.json(), () => 'closed').finally(() => { settled = true; });
    await new Promise((r) => setTimeout(r, 300));
    const designs = await fetch(`${own.url}api/designs`);
    expect(designs.status).toBe(200);
    expect(settled).toBe(false);
    await own.close();
    expect(await long).toBe('closed');
    // Whether this gets the search the closing server stopped or a new one stopped at once, it
    // is incomplete and quick; a search the close had not stopped would take most of a minute.
    expect(await checkApi('lu-owner-param', '4', AbortSignal.abort('test'))).toMatchObject({ complete: false });
  }, 20_000);

  it('a stopped check answers complete: false, and is not kept for the next request', async () => {
    const c = new AbortController();
    // Two seconds in, the search is well under way (it takes most of a minute).
    setTimeout(() => c.abort('test'), 2000);
    const first = await checkApi('lu-owner-param', '4', c.signal);
    expect(first).toMatchObject({ design: 'lu-owner-param', devices: 4, complete: false });
    expect(first.states).toBeGreaterThan(1);
    expect(first.verdicts).toContainEqual(expect.objectContaining({ verdict: 'unknown' }));
    const again = await checkApi('lu-owner-param', '4', AbortSignal.abort('test'));
    expect(again).not.toBe(first);
    expect(again.states).toBeLessThan(first.states as number);
  }, 20_000);
});
