import { parseJson } from '../jsonText';

/**
 * Splits `text` into the JSON documents written one after the other in it (as `cat a.json
 * b.json` gives, pretty-printed or not; whitespace between them is skipped) and parses each.
 * A single JSON array is one document like any other: the caller decides what it means.
 * Malformed text is an InputError naming the document (1-based) and its first line.
 */
export function parseJsonDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let i = 0;
  const n = text.length;
  // The line and column of a position, counted on from the last one asked (positions only grow).
  let line = 1;
  let lineStart = 0;
  let counted = 0;
  const lineAt = (pos: number) => {
    for (; counted < pos; counted++) if (text.charCodeAt(counted) === 10) { line++; lineStart = counted + 1; }
    return line;
  };
  while (i < n) {
    while (i < n && /\s/.test(text[i])) i++;
    if (i === n) break;
    const start = i;
    let depth = 0;
    let inString = false;
    // A document is an object or array (ends when its brackets balance), a string (ends at
    // its closing quote), or another bare value (ends at whitespace).
    if (text[i] === '"') {
      for (i++; i < n && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      i++;
    } else if (text[i] !== '{' && text[i] !== '[') {
      while (i < n && !/\s/.test(text[i])) i++;
    } else {
      for (; i < n; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') {
          depth--;
          if (depth === 0) { i++; break; }
        }
      }
    }
    const first = lineAt(start);
    docs.push(parseJson(text.slice(start, i), `document ${docs.length + 1} (from line ${first})`, first, start - lineStart + 1));
  }
  return docs;
}
