/**
 * `dmaown explore` as a user runs it: the compiled CLI serves the page (found from dist/) on
 * 127.0.0.1, prints its URL, stops cleanly on SIGTERM, and bad options get a one-line error and
 * exit 2.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, expectOneLineError, runCli } from './cliRun';

const run = (args: string[]) => runCli(args, { timeoutMs: 20_000 });

/** The URL a started explorer prints once it serves. */
function servingUrl(child: ChildProcessByStdio<null, Readable, Readable>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out += c;
      const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`explore exited ${code} before serving: ${out}`)));
  });
}

describe('dmaown explore', () => {
  it('serves the page on 127.0.0.1 at a free port and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'explore', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await servingUrl(child);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('dmaown explorer');
      expect((await fetch(`${url}app.js`)).status).toBe(200);
      const designs = (await (await fetch(`${url}api/designs`)).json()) as { designs: { name: string }[] };
      expect(designs.designs.map((d) => d.name)).toContain('v7');
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('exits 0 when its terminal closes (SIGHUP), as on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'explore', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    await servingUrl(child);
    const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
    child.kill('SIGHUP');
    expect(await exited).toEqual([0, null]);
  });

  it('refuses a bad or busy port with one line and exit 2', async () => {
    expectOneLineError(run(['explore', '--port', '70000']), /--port 70000 is out of range/);
    expectOneLineError(run(['explore', '--port', 'http']), /--port must be a whole number/);
    expectOneLineError(run(['explore', 'v7']), /unexpected argument 'v7'/);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as { port: number }).port;
      expectOneLineError(run(['explore', '--port', String(port)]), new RegExp(`port ${port} is already in use`));
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
