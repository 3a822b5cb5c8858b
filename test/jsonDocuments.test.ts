/** `parseJsonDocuments`: JSON documents written one after the other, as `cat a.json b.json` gives. */
import { describe, expect, it } from 'vitest';
import { parseJsonDocuments } from '../src/cli/jsonDocuments';
import { InputError } from '../src/errors';

describe('parseJsonDocuments', () => {
  it('splits pretty-printed and compact documents, with brackets and quotes inside strings', () => {
    const docs = [{ a: '}{ "]', b: [1, { c: '\\"' }] }, [1, 2], 'x y', 3, true, null, {}];
    const text = JSON.stringify(docs[0], null, 2) + JSON.stringify(docs[1]) + '\n\n' + docs.slice(2).map((d) => JSON.stringify(d)).join(' ');
    expect(parseJsonDocuments(text)).toEqual(docs);
    expect(parseJsonDocuments(' \n\t')).toEqual([]);
  });

  it('names the malformed document and its first line', () => {
    const text = '{"a": 1}\n{"b": 2}\n{"c": ';
    expect(() => parseJsonDocuments(text)).toThrow(InputError);
    expect(() => parseJsonDocuments(text)).toThrow(/^document 3 \(from line 3\): malformed JSON/);
    expect(() => parseJsonDocuments('{"a": 1} nope')).toThrow(/^document 2 \(from line 1\)/);
  });
});
