/**
 * Bad input the first audit of the CLI let through, as a user would type it: each gives one
 * line naming the problem and exit 2 (or, for a closed pipe, no error at all).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, expectOneLineError, runCli } from './cliRun';
import { jsonSyntaxProblem } from '../src/jsonText';

const run = (args: string[], input?: string) => runCli(args, { input });
const dir = mkdtempSync(join(tmpdir(), 'dmaown-bad-input-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const digits400 = '9'.repeat(400);
/** What jsonSyntaxProblem says of `t`'s JSON.parse error ('parsed' when there is none). */
const problem = (t: string) => {
  try {
    JSON.parse(t);
  } catch (e) {
    return jsonSyntaxProblem(e, t);
  }
  return 'parsed';
};

describe('option values', () => {
  it.each([
    [['check', '--design', '--devices', '2'], /^dmaown: check: option --design needs a value, got the option '--devices' \(write --design=VALUE/],
    [['check', '--report', '--format', 'json'], /option --report needs a value, got the option '--format'/],
    [['shard', '--shards', '--index', '0'], /option --shards needs a value, got the option '--index'/],
    [['check', '--max-states', '--symmetry'], /option --max-states needs a value, got the option '--symmetry'/],
    [['check', '--stop-when-decided=maybe'], /^dmaown: --stop-when-decided takes no value \(or true\/false\), got 'maybe'$/],
    [['check', '--symmetry=maybe'], /^dmaown: --symmetry takes no value \(or true\/false\), got 'maybe'$/],
  ])('%j: the missing value is named, not the next option', (args, pattern) => {
    expectOneLineError(run(args as string[]), pattern as RegExp);
  });

  it('--out followed by an option writes no file named after the option', () => {
    expectOneLineError(run(['diagram', '--design', 'v7', '--devices', '1', '--out', '--reachable']), /option --out needs a value/);
    expect(existsSync(join(ROOT, '--reachable'))).toBe(false);
  });

  it('a negative number is still a value (and out of range)', () => {
    expectOneLineError(run(['check', '--workers', '-1']), /--workers -1 is out of range/);
  });

  it.each([
    [['check', '--devices', '99999999999999999999'], /^dmaown: --devices 99999999999999999999 is out of range: the number of devices must be 1 to 8 \(up to 16 with --symmetry\)$/],
    [['check', '--max-states', digits400], /^dmaown: --max-states 9{37}\.\.\. is too large \(at most 9,007,199,254,740,991/],
    [['check', '--max-time', digits400], /^dmaown: --max-time 9{37}\.\.\. is too long to be a time budget$/],
    [['check', '--max-memory', `${digits400}K`], /^dmaown: --max-memory 9{37}\.\.\. is more than this machine's/],
  ])('huge numbers %#: named as typed (cut), with the real range', (args, pattern) => {
    expectOneLineError(run(args as string[]), pattern as RegExp);
  });

  it.each([['1e9'], ['1.5e3G'], ['lots']])('--max-memory %s is malformed, not "too small": the message says what a size looks like', (size) => {
    expectOneLineError(run(['check', '--max-memory', size]), new RegExp(`^dmaown: --max-memory must be a size like 512M, 8G or 1\\.5GiB, or a number of bytes \\(no exponents\\), got '${size.replace('.', '\\.')}'$`));
  });
});

describe('JSON input', () => {
  it('malformed JSON is one line with the line and column, not V8 quoting the file', () => {
    const config = file('multi.json', '{\n"checks":\nx\n}\n');
    expectOneLineError(run(['check', '--config', config]), /multi\.json: malformed JSON \(line 3, column 1: Unexpected token 'x'\)$/);
    expectOneLineError(run(['merge', config]), /merge: .*multi\.json: malformed JSON \(line 3, column 1: Unexpected token 'x'\)$/);
  });

  it('replay: a pretty-printed array is reported where it breaks, a JSON-lines file by its line', () => {
    expectOneLineError(run(['replay', '--devices', '2'], '[\n {"type":"probe_device","dev":0},\n {"type":\n]\n'), /^dmaown: malformed JSON \(line 4, column 1: Unexpected token '\]'\)$/);
    expectOneLineError(run(['replay', '--devices', '2'], '{"type":"probe_device","dev":0}\n{"type": x}\n'), /^dmaown: line 2: malformed JSON \(column 10: Unexpected token 'x'\)$/);
  });

  it('a byte-order mark is skipped: in a config and in replay input', () => {
    const bom = '\ufeff';
    const config = file('bom.json', `${bom}{"checks": [{"design": "v7", "devices": 2, "invariants": ["type-ok"]}]}`);
    expect(run(['check', '--config', config]).code).toBe(0);
    const r = run(['replay', '--devices', '2'], `${bom}{"type":"probe_device","dev":0}\n{"type":"probe_device","dev":1}\n`);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(2);
  });

  it.each([[''], ['  \n'], ['[]']])('replay of no events (%j) is refused', (input) => {
    expectOneLineError(run(['replay', '--devices', '2'], input), /^dmaown: replay: no events in standard input$/);
  });

  it('the line and column are where the text breaks (positions counted by hand)', () => {
    expect(problem('[1,2')).toBe("column 5: Expected ',' or ']' after array element");
    expect(problem('{"a":"\\x"}')).toBe('column 8: Bad escaped character');
    expect(problem('{\n  "a": 1,\n  "b": ]\n}')).toBe("line 3, column 8: Unexpected token ']'");
    expect(problem('{"a":1}')).toBe('parsed');
  });
});

describe('config files', () => {
  it('a module whose export throws as it is read', () => {
    const config = file('getter.cjs', 'module.exports = { get checks() { throw new Error("getter broke") } };\n');
    expectOneLineError(run(['check', '--config', config]), /getter\.cjs: reading its export threw: getter broke$/);
  });

  it('a BigInt is shown as one', () => {
    const config = file('big.cjs', 'module.exports = { checks: [{ design: "v7", devices: 3n }] };\n');
    expectOneLineError(run(['check', '--config', config]), /checks\[0\]\.devices: must be a whole number or a list of them, got 3n$/);
  });

  it('an empty --config name', () => {
    expectOneLineError(run(['check', '--config', '']), /^dmaown: check: --config needs a file name, got an empty one$/);
  });

  it("a config's own memory budget is named as the config's, and its bounds are changed in the file", () => {
    const config = file('small.json', '{"checks": [{"design": "v7", "devices": 4}], "maxMemory": "1M"}');
    expectOneLineError(run(['check', '--config', config]), /too large for maxMemory 1\.0 MiB \(.*small\.json\) by estimate: .*fewer devices in .*small\.json, /);
  });
});

describe('commands', () => {
  it('--design with several names: only check offers compare', () => {
    expectOneLineError(run(['replay', '--design', 'v7,v8'], '[]'), /^dmaown: --design takes one design here, got 'v7,v8'$/);
    expectOneLineError(run(['diagram', '--design', 'v7,v8']), /^dmaown: --design takes one design here, got 'v7,v8'$/);
  });

  it('diagram --sequence and --reachable refuse a bound too large for the memory, before searching', () => {
    for (const what of ['--sequence', '--reachable']) {
      // Without the refusal this search runs for hours: the timeout makes that a failure, not a hang.
      expectOneLineError(runCli(['diagram', '--design', 'v7', what, '--devices', '8'], { timeoutMs: 60_000 }), /^dmaown: diagram: too large for the memory budget .* try fewer --devices \(docs\/scaling\.md\)$/);
    }
  });

  it('a --report file that cannot be written is refused before the search', () => {
    // A writable report named first is not written: the refusal came before the search, not
    // when the reports were written after it.
    const first = join(dir, 'first.json');
    expectOneLineError(run(['check', '--devices', '2', '--report', `json=${first}`, '--report', `junit=${join(dir, 'missing', 'r.xml')}`]), /--report junit=.*r\.xml: cannot write: the directory .*missing does not exist$/);
    expect(existsSync(first)).toBe(false);
    expectOneLineError(run(['check', '--devices', '2', '--report', `junit=${dir}`]), /cannot write: it is a directory$/);
  });
});

describe('standard output', () => {
  const shell = (cmd: string) => spawnSync('bash', ['-c', cmd], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });

  it('a reader that goes away (| head) is no error: no stack trace, the exit status is the command\'s', () => {
    const events = file('long.json', JSON.stringify([{ type: 'probe_device', dev: 0 }, ...Array.from({ length: 3000 }, () => [{ type: 'bind_driver', dev: 0, driver: 'kernel' }, { type: 'unbind_driver', dev: 0 }]).flat()]));
    const r = shell(`node ${BIN} replay --devices 2 ${events} | head -c 100 > /dev/null; echo "status \${PIPESTATUS[0]}"`);
    expect(r.stdout.trim()).toBe('status 0');
    expect(r.stderr).toBe('');
    const c = shell(`node ${BIN} check --devices 2 | head -c 10 > /dev/null; echo "status \${PIPESTATUS[0]}"`);
    expect(c.stdout.trim()).toBe('status 1');
    expect(c.stderr).toBe('');
  });

  it.runIf(existsSync('/dev/full'))('a full disk is one line and exit 2', () => {
    const r = shell(`node ${BIN} designs > /dev/full; echo "status $?"`);
    expect(r.stdout.trim()).toBe('status 2');
    expect(r.stderr).toBe('dmaown: cannot write standard output: ENOSPC\n');
  });
});

describe('second audit', () => {
  const shell = (cmd: string) => spawnSync('bash', ['-c', cmd], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });

  it('standard input from a writer slower than start-up, and larger than a pipe holds, is read whole', () => {
    const lines = Array.from({ length: 4000 }, (_, i) => JSON.stringify(i % 2 === 0 ? { type: 'probe_device', dev: 0 } : { type: 'release_device', dev: 0 })).join('\n');
    const events = file('slow.ndjson', `${lines}\n`);
    const r = shell(`(sleep 1; cat ${events}) | node ${BIN} replay --devices 2 - | wc -l; echo "status \${PIPESTATUS[1]}"`);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split(/\s+/)).toEqual(['4000', 'status', '0']);
  });

  it.runIf(existsSync('/dev/zero'))('an endless input is refused at its size limit, not read into memory', () => {
    expectOneLineError(run(['replay', '--devices', '2', '/dev/zero']), /^dmaown: '\/dev\/zero' holds more than 256 MiB: not an input dmaown reads$/);
  });

  it('a long replay keeps no step it has written: 200,000 calls replay in a heap of 100 MB (keeping them all did not fit)', () => {
    const calls = JSON.stringify(Array.from({ length: 100_000 }, () => [{ type: 'probe_device', dev: 1 }, { type: 'release_device', dev: 1 }]).flat());
    const r = spawnSync(process.execPath, [BIN, 'replay', '--devices', '2', file('long.json', calls)], {
      cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, CI: '1', NODE_OPTIONS: '--max-old-space-size=100' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(200_000);
    expect(JSON.parse(lines[199_999])).toMatchObject({ step: 199_999, event: { type: 'release_device', dev: 1 }, ret: 0 });
  });

  it('a config module whose default export throws as it is read', () => {
    const config = file('default-throws.cjs', 'module.exports = { get default() { throw new Error("no default") } };\n');
    expectOneLineError(run(['check', '--config', config]), /default-throws\.cjs: reading its export threw: no default$/);
  });

  it.each([
    ['checks: [,]', /checks\[0\]: must be an object .*got undefined$/],
    ['checks: [{ design: "v7", devices: 2, invariants: [, "no-warn"] }]', /checks\[0\]\.invariants: unknown invariant undefined/],
    ['checks: [{ design: "v7", devices: [,] }]', /checks\[0\]\.devices: must be a whole number or a list of them, got undefined$/],
  ])('a hole in a list of a JavaScript config (%s) is refused, not skipped', (body, pattern) => {
    expectOneLineError(run(['check', '--config', file(`hole${body.length}.cjs`, `module.exports = { ${body} };\n`)]), pattern);
  });

  it('a config budget may be a number: bytes for maxMemory, seconds for maxTime; under a millisecond is named as such', () => {
    const ok = file('numbers.json', '{"checks": [{"design": "v7", "devices": 1, "invariants": ["type-ok"]}], "maxMemory": 1073741824, "maxTime": 90}');
    expect(run(['check', '--config', ok]).code).toBe(0);
    expectOneLineError(run(['check', '--config', file('tiny.json', '{"checks": [{"design": "v7", "devices": 1}], "maxTime": 0.0001}')]), /maxTime: 0\.0001 is under a millisecond/);
    expectOneLineError(run(['check', '--max-time', '0']), /^dmaown: --max-time 0 is under a millisecond/);
    expectOneLineError(run(['check', '--config', file('inf.json', '{"checks": [{"design": "v7", "devices": 1e400}]}')]), /got Infinity$/);
  });

  it('--report over the command\'s own input, or to -, is refused', () => {
    const config = file('self.json', '{"checks": [{"design": "v7", "devices": 1, "invariants": ["type-ok"]}]}');
    expectOneLineError(run(['check', '--config', config, '--report', `json=${config}`]), /would write over the input file/);
    expectOneLineError(run(['check', '--report', 'json=-']), /^dmaown: --report json=-: a report goes to a file; for standard output use --format json$/);
  });

  it('a report file reached through a link is the same file: named twice, or over an input, it is refused; a name ending in / is not a file', () => {
    const target = file('linked.json', '{"checks": [{"design": "v7", "devices": 1, "invariants": ["type-ok"]}]}');
    const sym = join(dir, 'linked-sym.json');
    const hard = join(dir, 'linked-hard.json');
    symlinkSync(target, sym);
    linkSync(target, hard);
    for (const other of [sym, hard]) {
      expectOneLineError(run(['check', '--devices', '1', '--report', `json=${target}`, '--report', `md=${other}`]), /^dmaown: --report names the file '.*linked-(sym|hard)\.json' twice: each report needs its own file$/);
      expectOneLineError(run(['check', '--config', target, '--report', `md=${other}`]), /would write over the input file '.*linked\.json'/);
    }
    expectOneLineError(run(['check', '--devices', '1', '--report', `json=${join(dir, 'nodir')}/`]), /cannot write: it names a directory \(it ends in \/\), not a file$/);
  });

  it('diagram: --out - is standard output, and an --out that cannot be written is refused first', () => {
    const r = run(['diagram', '--design', 'v7', '--devices', '1', '--out', '-']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^stateDiagram-v2/);
    expect(existsSync(join(ROOT, '-'))).toBe(false);
    expectOneLineError(run(['diagram', '--design', 'v7', '--out', join(dir, 'nodir', 'x.mmd')]), /cannot write: the directory .*nodir does not exist$/);
    // First: before a bound too large to check is refused (and so before any check).
    expectOneLineError(run(['diagram', '--design', 'v7', '--sequence', '--devices', '8', '--out', join(dir, 'nodir', 'x.mmd')]), /cannot write: the directory .*nodir does not exist$/);
  });

  it('diagram --reachable with a --depth too deep to draw is refused before the whole bound is checked', () => {
    // v7 at 6 devices takes about a minute to check; the refusal must not wait for it.
    const r = runCli(['diagram', '--design', 'v7', '--reachable', '--devices', '6', '--depth', '30'], { timeoutMs: 30_000 });
    expectOneLineError(r, /within 30 calls has more than 100,000 states, more than the 150 a diagram can show readably; --depth \d+ fits$/);
  });

  it('an ES module config with top-level await loads in the CLI (Node\'s own import(), not require())', () => {
    const config = file('tla.mjs', 'const n = await Promise.resolve(1);\nexport default { checks: [{ design: "v7", devices: n, invariants: ["type-ok"] }] };\n');
    const r = run(['check', '--config', config]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    ['never.cjs', 'module.exports = new Promise(() => {});', /never\.cjs: never finished loading: it waits for a promise that nothing settles$/],
    ['never.mjs', 'await new Promise(() => {});\nexport default { checks: [{ design: "v7", devices: 1 }] };', /never\.mjs: never finished loading: it waits for a promise that nothing settles$/],
    ['rejects.cjs', 'module.exports = (async () => { throw new Error("could not fetch bounds"); })();', /rejects\.cjs: its exported promise was rejected: could not fetch bounds$/],
    ['rejects-null.cjs', 'module.exports = Promise.reject(null);', /rejects-null\.cjs: its exported promise was rejected: null$/],
    ['throws-null.cjs', 'throw null;', /throws-null\.cjs: cannot load: null$/],
    ['throws-null.mjs', 'throw null;', /throws-null\.mjs: cannot load: null$/],
  ])('a config module that never settles, rejects or throws a non-error (%s) is bad input, not exit 0 or an internal error', (name, body, pattern) => {
    expectOneLineError(run(['check', '--config', file(name, `${body}\n`)]), pattern);
  });

  it('an exported promise of a config is its config; a timer a config module leaves running does not keep dmaown from ending', () => {
    const checks = '{ checks: [{ design: "v7", devices: 1, invariants: ["type-ok"] }] }';
    const later = run(['check', '--config', file('later.cjs', `module.exports = (async () => (${checks}))();\n`)]);
    expect(later.err).toBe('');
    expect(later.code).toBe(0);
    const r = runCli(['check', '--config', file('timer.cjs', `setInterval(() => {}, 1000);\nmodule.exports = ${checks};\n`)], { timeoutMs: 30_000 });
    expect(r.err).toBe('');
    expect(r.out).toMatch(/type-ok +holds/);
    expect(r.code).toBe(0);
  });

  it.runIf(existsSync('/dev/zero'))('a .json config is read up to the size limit of every input, not into memory without end', () => {
    const link = join(dir, 'zero.json');
    symlinkSync('/dev/zero', link);
    expectOneLineError(run(['check', '--config', link]), /zero\.json' holds more than 256 MiB: not an input dmaown reads$/);
  });

  it('a .ts config that does not compile is named with its line and column; a directory is not a config', () => {
    const config = file('broken.ts', 'export default {\n  checks: [{ design: "v7" devices: 1 }]\n};\n');
    expectOneLineError(run(['check', '--config', config]), /broken\.ts: cannot load: .*Unable to compile TypeScript: .*broken\.ts\(2,27\): error TS1005/);
    expectOneLineError(run(['check', '--config', dir]), /^dmaown: config file '.*' is a directory$/);
  });

  it('a list of designs with spaces is advised without them', () => {
    expectOneLineError(run(['check', '--design', 'v7, v8']), /use 'dmaown compare --design v7,v8'/);
  });

  // (How long this takes is for benchmarks; a quadratic line count once made it 50 s.)
  it('merge - of many documents names the bad one by its own line, and a position is counted from that line', () => {
    const many = Array.from({ length: 50_000 }, () => '1').join('\n');
    const r = runCli(['merge', '-'], { input: `${many}\n{"a":1} }`, timeoutMs: 30_000 });
    expectOneLineError(r, /document 50002 \(from line 50001\): malformed JSON \(line 50001, column 9: Unexpected token '\}'\)$/);
  });

  it('a position after the JSON is given as a line and column too', () => {
    expect(problem('{"checks": [1] } }')).toBe('column 18: Unexpected non-whitespace character');
    expect(problem('{\n "a": 1\n} x')).toBe('line 3, column 3: Unexpected non-whitespace character');
  });
});

