/**
 * The CLI as a user runs it: the compiled `bin/dmaown.js` (npm test builds dist/ first).
 * Exit codes, one-line errors without stack traces, and check -> replay round trips.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, expectOneLineError, runCli } from './cliRun';

const run = (args: string[], input?: string) => runCli(args, { input });

describe('dmaown CLI', () => {
  it('check: exit 1 with violations, every invariant listed, counterexamples printed', () => {
    const r = run(['check', '--devices', '2']);
    expect(r.code).toBe(1);
    for (const name of ['type-ok', 'no-mixed-dma', 'refcount-balance', 'no-warn', 'domain-consistency', 'owned-isolation', 'owner-domain', 'viability']) expect(r.out).toContain(name);
    expect(r.out).toMatch(/no-warn violated: WARN_ON fired in unbind_driver/);
    expect(r.out).toMatch(/replay: \[/);
  });

  it('check: exit 0 when every selected invariant holds', () => {
    const r = run(['check', '--devices', '2', '--invariant', 'owned-isolation,type-ok']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/owned-isolation\s+holds/);
    expect(r.out).not.toMatch(/no-warn/);
  });

  it('check --format json counterexamples replay as they are, reproducing the violation', () => {
    const r = run(['check', '--devices', '2', '--invariant', 'no-warn', '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    const v = report.invariants.find((i: { name: string }) => i.name === 'no-warn');
    const rep = run(['replay', '--design', 'v7', '--devices', '2', '-'], JSON.stringify(v.counterexample));
    expect(rep.code).toBe(0);
    const lines = rep.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(v.counterexample.length);
    expect(lines[lines.length - 1].warn).toBe(true);
    expect(lines).toEqual(v.trace);
  });

  it('a counterexample printed at the largest bound (16 devices, by symmetry) replays at that bound', () => {
    // no-warn is violated within the first states; --max-states keeps the search short (the
    // report is then incomplete, its counterexample still a counterexample).
    const r = run(['check', '--devices', '16', '--symmetry', '--invariant', 'no-warn', '--max-states', '2000', '--format', 'json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.out).invariants.find((i: { name: string }) => i.name === 'no-warn');
    expect(v.verdict).toBe('violated');
    const rep = run(['replay', '--design', 'v7', '--devices', '16', '-'], JSON.stringify(v.counterexample));
    expect(rep.code).toBe(0);
    const lines = rep.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(v.trace);
    expect(lines[lines.length - 1].warn).toBe(true);
    expect(lines[0].devices).toHaveLength(16);
  });

  it('the text report\'s replay line is accepted by replay', () => {
    const r = run(['check', '--devices', '2', '--invariant', 'viability']);
    const line = r.out.split('\n').find((l) => l.trim().startsWith('replay: '))!;
    const rep = run(['replay', '--devices', '2'], line.trim().slice('replay: '.length));
    expect(rep.code).toBe(0);
    expect(rep.out.trim().split('\n')).toHaveLength(4);
  });

  it('replay: one JSON object per line in, the documented shape out', () => {
    const input = '{"type":"probe_device","dev":0}\n\n{"type":"bind_driver","dev":0,"driver":"kernel"}\n{"type":"owner_claimed"}\n';
    const r = run(['replay', '--design', 'v7', '--devices', '2'], input);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      step: 0, event: { type: 'probe_device', dev: 0 }, ret: 0, warn: false,
      group: { owner_cnt: 0, owner: null, domain: 'default', fd_openable: false },
      devices: [{ in_group: true, driver: 'none', domain: 'default' }, { in_group: false, driver: 'none', domain: null }],
    });
    expect(lines[1].group.owner_cnt).toBe(1);
    expect(lines[2].ret).toBe(1);
  });

  it('--max-states stops with an incomplete result and exit 3', () => {
    const r = run(['check', '--devices', '3', '--invariant', 'owned-isolation', '--max-states', '500']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/INCOMPLETE/);
    expect(r.out).toMatch(/owned-isolation\s+unknown/);
  });

  it('check --invariant takes several names after it', () => {
    const r = run(['check', '--devices', '2', '--invariant', 'owned-isolation', 'type-ok']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/type-ok\s+holds/);
  });

  it('the package entry points resolve: dmaown, dmaown/testing, dmaown/config', () => {
    const r = spawnSync(process.execPath, ['-e', "const a=require('dmaown'),b=require('dmaown/testing'),c=require('dmaown/config');console.log(typeof a.check,typeof a.machineModel,typeof b.dmaownMatchers,typeof c.defineConfig)"], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('function function function function');
  });

  it('help', () => {
    expect(run(['--help']).code).toBe(0);
    const h = run(['check', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/--devices N/);
    // `dmaown help check` is the same text; every command's help lists exit status 4.
    expect(run(['help', 'check']).out).toBe(h.out);
    for (const c of ['check', 'compare', 'diagram', 'replay', 'shard', 'merge', 'explore']) expect(run([c, '--help']).out, c).toMatch(/4 internal error/);
  });

  it.each([
    [['check', '--design', 'nope'], /unknown design 'nope'/],
    [['check', '--invariant', 'nope'], /unknown invariant 'nope'/],
    [['check', '--devices', '0'], /--devices 0 is out of range: the number of devices must be 1 to 8 \(up to 16 with --symmetry\)$/],
    [['check', '--devices', '99'], /--devices 99 is out of range: the number of devices must be 1 to 8 \(up to 16 with --symmetry\)/],
    [['check', '--devices', 'three'], /whole number/],
    [['check', '--format', 'xml'], /--format must be one of/],
    [['check', '--bogus'], /unknown option '--bogus'/],
    [['check', '--max-memory', 'lots'], /--max-memory/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [[], /no command given/],
    [['designs', 'extra'], /designs: unexpected argument 'extra'/],
    [['invariants', 'extra'], /invariants: unexpected argument 'extra'/],
    // replay takes every bound a check can print a counterexample at (symmetry's), with no flag.
    [['replay', '--devices', '17', '-'], /--devices 17 is out of range: the number of devices must be 1 to 16$/],
    [['check', '--devices', '17', '--symmetry'], /--devices 17 is out of range: the number of devices \(with --symmetry\) must be 1 to 16$/],
    [['replay', '/nonexistent/file.json'], /cannot read/],
    // An empty list (an unset variable in a CI job) would check nothing and pass.
    [['check', '--invariant', ''], /--invariant names nothing/],
    [['check', '--invariant', ' , '], /--invariant names nothing/],
    [['compare', '--design', ''], /--design names nothing/],
    [['check', '--design', 'v7,v8'], /--design takes one design here, got 'v7,v8'; to check several, use 'dmaown compare --design v7,v8'/],
    [['check', '--report', 'json=twice.out', '--report', 'junit=./twice.out'], /--report names the file '.\/twice.out' twice/],
  ])('bad usage %j: one line, exit 2', (args, pattern) => {
    expectOneLineError(run(args as string[]), pattern as RegExp);
  });

  it.each([
    ['{"type":"probe_device","dev":0', /malformed JSON/],
    ['[{"type":"probe_device","dev":7}]', /device 7 is out of range/],
    ['[{"type":"reboot"}]', /unknown event type "reboot"/],
    // Names every object inherits are not event types either.
    ['[{"type":"constructor"}]', /unknown event type "constructor"/],
    ['[{"type":"hasOwnProperty","dev":0}]', /unknown event type "hasOwnProperty"/],
    ['[{"type":"claim","owner":"file3"}]', /owner must be one of/],
    ['[{"type":"unbind_driver","dev":0}]', /step 0: unbind_driver: device 0 has no driver bound/],
    ['[{"type":"probe_device","dev":0},{"type":"probe_device","dev":0}]', /step 1: probe_device: device 0 is already in the group/],
    ['[{"type":"probe_device","dev":0,"colour":"red"}]', /has no field 'colour'/],
  ])('bad replay input %s: one line, exit 2', (input, pattern) => {
    expectOneLineError(run(['replay', '--devices', '2'], input), pattern);
  });

  it('a value too deep for JSON.stringify, or too long to repeat, is shown cut in the one line (never a stack overflow)', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expectOneLineError(run(['replay', '--devices', '2'], deep), /^dmaown: step 0: an event must be a JSON object, got \(an array nested too deeply to show\)$/);
    expectOneLineError(run(['replay', '--devices', '2'], JSON.stringify([{ type: 'x'.repeat(200_000) }])), /^dmaown: step 0: unknown event type "x{56}\.\.\. \(known: .{0,300}$/);
    const dir = mkdtempSync(join(tmpdir(), 'dmaown-deep-'));
    const config = join(dir, 'deep.json');
    writeFileSync(config, `{"checks": ${deep}}`);
    expectOneLineError(run(['check', '--config', config]), /checks\[0\]: must be an object .*got \(an array nested too deeply to show\)$/);
  });
});
