/**
 * `dmaown shard` and `dmaown merge` as a CI matrix runs them: the compiled bin/dmaown.js, one
 * process per shard writing JSON files, then merge; exit codes, replayable counterexamples,
 * one-line errors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError as oneLine, runCli, type CliRun } from './cliRun';

const run = (args: string[], input?: string) => runCli(args, { input });
/** A one-line error that prints nothing on standard output. */
function expectOneLineError(r: CliRun, pattern: RegExp) {
  oneLine(r, pattern);
  expect(r.out).toBe('');
}

const dir = mkdtempSync(join(tmpdir(), 'dmaown-swarm-'));
/** Runs every shard of a run into files; returns their paths. */
function shards(K: number, extra: string[], tag: string): string[] {
  return Array.from({ length: K }, (_, k) => {
    const r = run(['shard', '--shards', String(K), '--index', String(k), '--format', 'json', ...extra]);
    expect(r.code, r.err).toBe(0);
    const file = join(dir, `${tag}-${k}.json`);
    writeFileSync(file, r.out);
    return file;
  });
}

describe('dmaown shard / merge', () => {
  const base = ['--design', 'v7', '--devices', '2'];
  const files = shards(3, [...base, '--depth', '2'], 'v7');

  it('merge --format json: check\'s verdicts and counterexample lengths; each counterexample replays with dmaown replay', () => {
    const checked = JSON.parse(run(['check', ...base, '--format', 'json']).out);
    const m = run(['merge', '--format', 'json', ...files]);
    expect(m.code).toBe(1);
    const merged = JSON.parse(m.out);
    expect(merged.swarm.of).toBe(3);
    expect(merged.swarm.shards.map((s: { index: number }) => s.index)).toEqual([0, 1, 2]);
    expect(merged.states).toBe(merged.swarm.shards.reduce((n: number, s: { states: number }) => n + s.states, 0));
    expect(merged.states).toBeGreaterThanOrEqual(checked.states);
    const brief = (v: { name: string; verdict: string; counterexample?: unknown[] }) => [v.name, v.verdict, v.counterexample?.length];
    expect(merged.invariants.map(brief)).toEqual(checked.invariants.map(brief));
    for (const v of merged.invariants.filter((x: { verdict: string }) => x.verdict === 'violated')) {
      const rep = run(['replay', ...base, '-'], JSON.stringify(v.counterexample));
      expect(rep.code).toBe(0);
      expect(rep.out.trim().split('\n').map((l) => JSON.parse(l))).toEqual(v.trace);
    }
    // Same inputs, same output, whatever the order of the files.
    expect(run(['merge', '--format', 'json', ...[...files].reverse()]).out).toBe(m.out);
  });

  it('merge text, junit and md; exit 0 when every invariant holds, 3 when a shard stopped early', () => {
    const t = run(['merge', ...files]);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/upper bound on the distinct states/);
    expect(t.out).toMatch(/no-warn\s+violated\s+shortest counterexample: 3 calls \(shard \d\)/);
    expect(t.out).toMatch(/replay: \[/);
    const junit = run(['merge', '--format', 'junit', ...files]).out;
    expect(junit).toMatch(/<testsuites name="dmaown merge"/);
    expect(junit).toMatch(/<property name="states-summed-over-shards" value="3"\/>/);
    const md = run(['merge', '--format', 'md', ...files]).out;
    expect(md).toMatch(/^## dmaown merge/);
    expect(md).toMatch(/\| v7 \| 2 \| [\d,]+ \(sum over 3 shards\) \|/);
    expect(md).toMatch(/upper bound on the distinct counts/);
    // A plain check's reports say nothing of shards.
    expect(run(['check', ...base, '--format', 'md']).out).not.toMatch(/shards/);
    const holding = shards(2, [...base, '--invariant', 'type-ok,owned-isolation', '--symmetry'], 'holds');
    const h = run(['merge', ...holding]);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/owned-isolation\s+holds/);
    const stopped = shards(2, ['--devices', '3', '--invariant', 'type-ok', '--max-states', '300'], 'stopped');
    const s = run(['merge', '--format', 'json', ...stopped]);
    expect(s.code).toBe(3);
    expect(JSON.parse(s.out).invariants[0].verdict).toBe('unknown');
  });

  it('shard --stop-when-decided: each shard stops once its invariants are violated; merge says the verdicts are final, exit 1, and md is not marked incomplete', () => {
    const args = ['--design', 'jgg-draft', '--devices', '3', '--invariant', 'owned-isolation,no-warn', '--depth', '2'];
    const early = shards(3, [...args, '--stop-when-decided'], 'decided');
    const whole = shards(3, args, 'undecided');
    const docs = early.map((f) => JSON.parse(readFileSync(f, 'utf8')));
    expect(docs.map((d) => d.stopReason)).toEqual(docs.map(() => 'every property checked was decided'));
    const t = run(['merge', ...early]);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/^0 .*stopped once decided \(--stop-when-decided\)$/m);
    expect(t.out).toMatch(/^3 shards stopped once every invariant checked was decided \(--stop-when-decided\): the verdicts below are final$/m);
    expect(t.out).not.toMatch(/INCOMPLETE/);
    // The same verdicts and counterexamples, from the same shards, as the shards searched whole.
    const j = JSON.parse(run(['merge', '--format', 'json', ...early]).out);
    const w = JSON.parse(run(['merge', '--format', 'json', ...whole]).out);
    expect(j.stopReason).toBe('every property checked was decided');
    expect(w.complete).toBe(true);
    expect(j.invariants).toEqual(w.invariants);
    expect(j.states).toBeLessThan(w.states);
    expect(run(['merge', '--format', 'md', ...early]).out).not.toMatch(/incomplete|⚠️/);
    const junit = run(['merge', '--format', 'junit', ...early]).out;
    expect(junit).toContain('<property name="stopped" value="every property checked was decided (--stop-when-decided): the verdicts are final"/>');
    expect(junit).toMatch(/<testsuites name="dmaown merge" [^>]*errors="0"/);
    // A shard's own text report says so too.
    expect(run(['shard', '--shards', '3', '--index', '0', ...args, '--stop-when-decided']).out).toMatch(/stopped once every invariant checked was decided/);
  });

  it('--report FORMAT=FILE writes what --format FORMAT prints, for shard and merge; a bad one is a one-line error', () => {
    const shardArgs = ['shard', '--shards', '2', '--index', '1', ...base, '--depth', '2'];
    const json = join(dir, 'report-shard.json');
    const text = join(dir, 'report-shard.txt');
    const s = run([...shardArgs, '--format', 'json', '--report', `json=${json}`, '--report', `text=${text}`]);
    expect(s.code).toBe(0);
    expect(readFileSync(json, 'utf8')).toBe(s.out);
    // The text report has the search's time and rate in it; the rest is the same.
    const untimed = (t: string) => t.replace(/in [\d.]+ s \([\d,]+ states\/s\)/, 'in T');
    expect(untimed(readFileSync(text, 'utf8'))).toBe(untimed(run(shardArgs).out));
    expect(untimed(readFileSync(text, 'utf8'))).not.toBe(readFileSync(text, 'utf8'));
    const xml = join(dir, 'report-merge.xml');
    const md = join(dir, 'report-merge.md');
    const m = run(['merge', '--report', `junit=${xml}`, '--report', `md=${md}`, ...files]);
    expect(m.code).toBe(1);
    expect(m.out).toBe(run(['merge', ...files]).out);
    // JUnit carries timings (the shards' own, so the same here); markdown carries none.
    expect(readFileSync(xml, 'utf8')).toBe(run(['merge', '--format', 'junit', ...files]).out);
    expect(readFileSync(md, 'utf8')).toBe(run(['merge', '--format', 'md', ...files]).out);
    expectOneLineError(run(['merge', '--report', 'xml=out.xml', ...files]), /--report must be FORMAT=FILE with FORMAT one of text, json, junit, md, got 'xml=out.xml'/);
    expectOneLineError(run([...shardArgs, '--report', 'junit=x.xml']), /--report must be FORMAT=FILE with FORMAT one of text, json, got 'junit=x.xml'/);
    expectOneLineError(run(['merge', '--report', `json=${join(dir, 'no', 'such', 'dir.json')}`, ...files]), /--report json=.*: cannot write: the directory .* does not exist$/);
  });

  it("merge - reads the shards' results from standard input, concatenated or as one JSON array, and merges them as from files", () => {
    const fromFiles = run(['merge', '--format', 'json', ...files]);
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    const cat = run(['merge', '--format', 'json', '-'], texts.join(''));
    expect(cat.code).toBe(fromFiles.code);
    expect(cat.out).toBe(fromFiles.out);
    const array = run(['merge', '--format', 'json', '-'], JSON.stringify(texts.map((t) => JSON.parse(t))));
    expect(array.out).toBe(fromFiles.out);
    // Files and standard input together: two shards from a file each, the third piped.
    const mixed = run(['merge', '--format', 'json', files[0], '-', files[1]], texts[2]);
    expect(mixed.out).toBe(fromFiles.out);
    // Standard input's documents are named by position in errors.
    expectOneLineError(run(['merge', '-'], texts[0] + texts[0] + texts[2]), /shard 0 is given twice \(standard input #1 and standard input #2\)/);
    expectOneLineError(run(['merge', '-'], texts[0] + '\n{"design": '), /standard input: document 2 \(from line \d+\): malformed JSON/);
    expectOneLineError(run(['merge', '-'], ' \n'), /standard input holds no shard result/);
    expectOneLineError(run(['merge', '-', '-'], texts[0]), /'-' \(standard input\) can be given once/);
  });

  it('merge FILE where the file holds one JSON array of shard results, as merge - takes it', () => {
    const fromFiles = run(['merge', '--format', 'json', ...files]);
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    const arr = join(dir, 'arr.json');
    writeFileSync(arr, JSON.stringify(texts.map((t) => JSON.parse(t))));
    const a = run(['merge', '--format', 'json', arr]);
    expect(a.code).toBe(fromFiles.code);
    expect(a.out).toBe(fromFiles.out);
    // An array of two with the third in its own file; the elements are named by position in errors.
    const two = join(dir, 'two.json');
    writeFileSync(two, JSON.stringify(texts.slice(0, 2).map((t) => JSON.parse(t))));
    expect(run(['merge', '--format', 'json', files[2], two]).out).toBe(fromFiles.out);
    expectOneLineError(run(['merge', two, files[1], files[2]]), /shard 1 is given twice \(.*two.json #2 and .*v7-1.json\)/);
    const empty = join(dir, 'empty-array.json');
    writeFileSync(empty, '[]');
    expectOneLineError(run(['merge', empty]), /empty-array.json holds no shard result$/);
  });

  it('--report naming one of merge\'s own input files is refused, and the file is left as it was', () => {
    const copies = files.map((f, k) => {
      const c = join(dir, `own-${k}.json`);
      writeFileSync(c, readFileSync(f, 'utf8'));
      return c;
    });
    const before = readFileSync(copies[2], 'utf8');
    expectOneLineError(run(['merge', '--report', `json=${copies[2]}`, ...copies]), /--report json=.*own-2.json would write over the input file '.*own-2.json': give the report another name/);
    expectOneLineError(run(['merge', '--report', `md=${join(dir, '.', 'own-2.json')}`, ...copies]), /would write over the input file/);
    expect(readFileSync(copies[2], 'utf8')).toBe(before);
  });

  it('merge prints what the design and the replays say, not a shard file\'s edited explanation, trace, reason or applicability', () => {
    const fromFiles = run(['merge', '--format', 'json', ...files]);
    const edited = (name: string, edit: (v: Record<string, unknown>) => void) => files.map((f, k) => {
      const d = JSON.parse(readFileSync(f, 'utf8'));
      for (const v of d.invariants) edit(v);
      const out = join(dir, `${name}-${k}.json`);
      writeFileSync(out, JSON.stringify(d));
      return out;
    });
    const junk = edited('junk', (v) => {
      if (v.verdict !== 'violated') return;
      v.explanation = 'EDITED';
      v.trace = [{ step: 1 }];
      v.extra = 'JUNK';
    });
    const j = run(['merge', '--format', 'json', ...junk]);
    expect(j.code).toBe(1);
    expect(j.out).toBe(fromFiles.out);
    expect(run(['merge', ...junk]).out).not.toMatch(/EDITED|JUNK/);
    // type-ok applies to v7: no shard says it is n/a.
    const na = edited('na', (v) => { if (v.name === 'type-ok') { v.verdict = 'n/a'; v.reason = { why: 'x' }; delete v.states; } });
    expectOneLineError(run(['merge', ...na]), /na-0.json: invariants\[\d+\] \(type-ok\): "reason" is not a string/);
    const na2 = edited('na2', (v) => { if (v.name === 'type-ok') { v.verdict = 'n/a'; v.reason = 'edited'; delete v.states; } });
    expectOneLineError(run(['merge', ...na2]), /na2-0.json: invariants\[\d+\] \(type-ok\): the shard says n\/a, but it applies to v7$/);
  });

  it('--help for both commands', () => {
    for (const c of ['shard', 'merge']) {
      const r = run([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`usage: dmaown ${c}`));
    }
  });

  it('bad input: one line, exit 2', () => {
    expectOneLineError(run(['shard', '--shards', '0', '--index', '0']), /--shards 0 is out of range/);
    expectOneLineError(run(['shard', '--shards', '3', '--index', '3']), /--index 3 is out of range/);
    expectOneLineError(run(['shard', '--shards', '3']), /--index is required/);
    expectOneLineError(run(['shard', '--shards', '2', '--index', '0', '--depth', '-1']), /--depth -1 is out of range/);
    expectOneLineError(run(['shard', '--shards', '2', '--index', '0', '--devices', '1', '--depth', '50']), /--depth 50: no state is that deep/);
    expectOneLineError(run(['merge']), /no shard files given/);
    expectOneLineError(run(['merge', join(dir, 'nonexistent.json')]), /cannot read .*nonexistent.json.*ENOENT/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"design": ');
    expectOneLineError(run(['merge', bad]), /bad.json: malformed JSON/);
    const checkOut = join(dir, 'check.json');
    writeFileSync(checkOut, run(['check', ...base, '--format', 'json']).out);
    expectOneLineError(run(['merge', checkOut]), /no "shard" field/);
    expectOneLineError(run(['merge', files[0], files[1]]), /missing shard 2 of 3/);
    expectOneLineError(run(['merge', ...files, files[1]]), /shard 1 is given twice/);
    const other = shards(3, [...base, '--depth', '1'], 'other');
    expectOneLineError(run(['merge', files[0], files[1], other[2]]), /not shards of one run: depth differs/);
    // Numbers no shard command writes: refused, not an internal error or a huge allocation.
    const edited = (name: string, edit: (d: { shard: { of: number }; devices: number; states: number; invariants: unknown[] }) => void) => {
      const d = JSON.parse(readFileSync(files[0], 'utf8'));
      edit(d);
      const f = join(dir, name);
      writeFileSync(f, JSON.stringify(d));
      return f;
    };
    expectOneLineError(run(['merge', edited('of.json', (d) => { d.shard.of = 4294967296; })]), /"shard.of" is not from 1 to 4096/);
    expectOneLineError(run(['merge', edited('devices.json', (d) => { d.devices = 99; })]), /devices.json: "devices" is not a whole number from 1 to 8, what 'dmaown shard' takes without --symmetry/);
    expectOneLineError(run(['merge', edited('devices16.json', (d) => { d.devices = 16; })]), /devices16.json: "devices" is not a whole number from 1 to 8/);
    // Nothing checked, counts past what a double holds exactly, an invariant twice: refused, not merged.
    expectOneLineError(run(['merge', edited('empty.json', (d) => { d.invariants = []; })]), /empty.json: "invariants" is empty: a shard checks at least one invariant/);
    expectOneLineError(run(['merge', edited('huge.json', (d) => { d.states = 1e308; })]), /huge.json: "states" is not a whole number from 0 to 9007199254740991/);
    expectOneLineError(run(['merge', edited('twice.json', (d) => { d.invariants.push(d.invariants[0]); })]), /twice.json: invariants\[\d+\]: type-ok is listed twice/);
    expectOneLineError(run(['merge', edited('many.json', (d) => { d.shard.of = 4096; })]), /missing shards 1 to 4095 of 4096 \(indexes 0 to 4095\)$/m);
    expectOneLineError(run(['shard', '--shards', '2', '--index', '0', '--invariant', '']), /--invariant names nothing/);
  });

  it('merge replays every counterexample it reports and refuses one that does not end in a violation', () => {
    // Each kind of invariant: a state invariant, the WARN_ON flag, a recoverable one. Their
    // counterexamples, cut by their last call in every shard, still replay but break nothing.
    for (const name of ['refcount-balance', 'no-warn', 'viability']) {
      const cut = files.map((f, k) => {
        const d = JSON.parse(readFileSync(f, 'utf8'));
        for (const v of d.invariants) if (v.name === name && v.verdict === 'violated') v.counterexample = v.counterexample.slice(0, -1);
        const out = join(dir, `cut-${name}-${k}.json`);
        writeFileSync(out, JSON.stringify(d));
        return out;
      });
      expectOneLineError(run(['merge', ...cut]), new RegExp(`shard \\d+'s ${name} counterexample: replayed, it does not break ${name} where it ends: not a violation`));
    }
    // Uncut, the same files merge (exit 1: v7 breaks them).
    expect(run(['merge', ...files]).code).toBe(1);
  });

  it('merge --format json says when the shards were reduced by symmetry, as check does', () => {
    const sym = shards(2, [...base, '--symmetry', '--depth', '2'], 'sym');
    const merged = JSON.parse(run(['merge', '--format', 'json', ...sym]).out);
    const checked = JSON.parse(run(['check', ...base, '--symmetry', '--format', 'json']).out);
    expect(merged.symmetry.reduced).toBe(checked.symmetry.reduced);
    expect(merged.symmetry.reduced).toBe(true);
    expect(JSON.parse(run(['merge', '--format', 'json', ...files]).out).symmetry).toBeUndefined();
  });
});
