/**
 * The TypeScript examples in README.md and docs/ compile. Each ```ts block that starts with a
 * `// path` comment is type-checked as that file of this repository, all of them in one
 * program (so one example may import another's file: docs/ci.md's suite imports README's
 * design), with tsconfig.json's options. A block whose first line is indented is a fragment
 * of a larger file and is not checked; any other block must name its file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

interface Example { readonly doc: string; readonly line: number; readonly file: string; readonly text: string }

/** Every ```ts block of the docs that names its file; throws on a block that neither names one nor is a fragment. */
function examples(): Example[] {
  const out: Example[] = [];
  for (const doc of DOCS) {
    const md = readFileSync(join(ROOT, doc), 'utf8');
    for (const m of md.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
      const text = m[1];
      const line = md.slice(0, m.index).split('\n').length;
      if (/^\s/.test(text)) continue;
      const named = /^\/\/ ([\w./-]+\.ts)\n/.exec(text);
      if (!named) throw new Error(`${doc}:${line}: a \`\`\`ts block must start with '// FILE.ts' (where the example goes) or be an indented fragment`);
      out.push({ doc, line, file: resolve(ROOT, named[1]), text });
    }
  }
  return out;
}

describe('TypeScript examples in the docs', () => {
  it('each compiles as the file it names', () => {
    const found = examples();
    // README's invariant and design, docs/ci.md's config and suite, docs/checker-api.md's mutex,
    // docs/invariants.md's invariant: at least these.
    expect(found.length).toBeGreaterThanOrEqual(6);
    const byFile = new Map<string, Example>();
    for (const e of found) {
      expect(existsSync(e.file), `${e.doc}:${e.line}: ${e.file} is a file of the repository; name a new one`).toBe(false);
      expect(byFile.has(e.file), `${e.doc}:${e.line}: a second example for ${e.file}`).toBe(false);
      byFile.set(e.file, e);
    }
    const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    const host = ts.createCompilerHost({ ...options, noEmit: true });
    const { fileExists, readFile, getSourceFile } = host;
    host.fileExists = (f) => byFile.has(resolve(f)) || fileExists.call(host, f);
    host.readFile = (f) => byFile.get(resolve(f))?.text ?? readFile.call(host, f);
    host.getSourceFile = (f, lang, ...rest) => {
      const e = byFile.get(resolve(f));
      return e ? ts.createSourceFile(f, e.text, lang) : getSourceFile.call(host, f, lang, ...rest);
    };
    const program = ts.createProgram([...byFile.keys()], { ...options, noEmit: true }, host);
    const problems: string[] = [];
    for (const [file, e] of byFile) {
      for (const d of ts.getPreEmitDiagnostics(program, program.getSourceFile(file))) {
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
        problems.push(`${e.doc}:${e.line} (${file.slice(ROOT.length + 1)} line ${at}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
