/**
 * `dmaown explore` as a user runs it: the compiled CLI serves the page (found from dist/) on
 * 127.0.0.1, prints its URL, stops cleanly on SIGTERM, and bad options get a one-line error and
 * exit 2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'dmaown.js');

if (!existsSync(join(ROOT, 'dist', 'src', 'explore', 'server.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}${b.stderr}`);
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function expectOneLineError(r: ReturnType<typeof run>, pattern: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.err.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^dmaown: /);
  expect(lines[0]).toMatch(pattern);
}

describe('dmaown explore', () => {
  it('serves the page on 127.0.0.1 at a free port and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'explore', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (c: string) => {
          out += c;
          const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`explore exited ${code} before serving: ${out}`)));
      });
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
