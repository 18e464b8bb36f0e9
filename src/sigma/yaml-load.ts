/**
 * Rule files to plain values: YAML 1.2 (core schema, as the Sigma
 * specification links) through the `yaml` package, one result per document.
 * Bounded: the caller caps the file size, the parser caps alias expansion
 * (`maxAliasCount`) and turns stack exhaustion into an error, and the
 * conversion below caps depth and node count without recursing.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import { SIGMA_LIMITS } from './limits.js';

/** A YAML value: maps become null-prototype objects with string keys, so no key reaches Object.prototype. */
export type YamlValue = string | number | boolean | null | YamlValue[] | YamlMap;
export interface YamlMap { readonly [key: string]: YamlValue }

export type YamlDocument = { readonly ok: true; readonly value: YamlValue; readonly line: number } | { readonly ok: false; readonly reason: string; readonly line: number };

/** Every document of `text` (empty documents are left out), each parsed or with the first reason it could not be. */
export function parseYamlDocuments(text: string): YamlDocument[] | { error: string } {
  // Nodes come after line breaks and commas, or open with brackets: a text with many more of those than
  // nodes allowed is refused before the parser spends ~20 us on each.
  let separators = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 44 || c === 91 || c === 123) separators++;
  }
  if (separators > 2 * SIGMA_LIMITS.maxNodes) return { error: `more than ${2 * SIGMA_LIMITS.maxNodes} lines, commas and brackets: too large for a rule file` };
  let docs;
  const lines = new LineCounter();
  try {
    docs = parseAllDocuments(text, { version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false, strict: true, lineCounter: lines });
  } catch (e) {
    return { error: `not valid YAML: ${firstLine(e)}` };
  }
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > SIGMA_LIMITS.maxDocuments) return { error: `more than ${SIGMA_LIMITS.maxDocuments} YAML documents` };
  const out: YamlDocument[] = [];
  for (const doc of list) {
    const line = lines.linePos(doc.range?.[0] ?? 0).line;
    if (doc.errors.length > 0) {
      out.push({ ok: false, reason: `not valid YAML: ${firstLine(doc.errors[0])}`, line });
      continue;
    }
    if (doc.contents === null) continue;
    let js: unknown;
    try {
      js = doc.toJS({ mapAsMap: true, maxAliasCount: SIGMA_LIMITS.maxAliasCount });
    } catch (e) {
      out.push({ ok: false, reason: `not valid YAML: ${firstLine(e)}`, line });
      continue;
    }
    const converted = toPlain(js);
    out.push(typeof converted === 'string' ? { ok: false, reason: converted, line } : { ok: true, value: converted.value, line });
  }
  return out;
}

/**
 * Converts `toJS` output (Maps, arrays, scalars) into YamlValue, iteratively.
 * Returns a reason string when the value breaks a limit or holds a type rules never use.
 */
function toPlain(root: unknown): { value: YamlValue } | string {
  let nodes = 0;
  type Frame = { src: unknown; depth: number; set: (v: YamlValue) => void };
  let result: YamlValue = null;
  const stack: Frame[] = [{ src: root, depth: 0, set: (v) => { result = v; } }];
  while (stack.length > 0) {
    const { src, depth, set } = stack.pop()!;
    if (++nodes > SIGMA_LIMITS.maxNodes) return `more than ${SIGMA_LIMITS.maxNodes} YAML nodes in one document`;
    if (depth > SIGMA_LIMITS.maxDepth) return `YAML nested deeper than ${SIGMA_LIMITS.maxDepth} levels`;
    if (src === null || src === undefined) set(null);
    else if (typeof src === 'string' || typeof src === 'boolean') set(src);
    else if (typeof src === 'number') set(src);
    else if (typeof src === 'bigint') set(Number(src));
    else if (Array.isArray(src)) {
      const arr: YamlValue[] = new Array(src.length).fill(null);
      set(arr);
      for (let i = src.length - 1; i >= 0; i--) stack.push({ src: src[i], depth: depth + 1, set: (v) => { arr[i] = v; } });
    } else if (src instanceof Map) {
      const obj = Object.create(null) as Record<string, YamlValue>;
      set(obj);
      for (const [k, v] of src) {
        if (k !== null && typeof k === 'object') return 'a map key is itself a map or list';
        const key = k === null ? '' : String(k);
        obj[key] = null;
        stack.push({ src: v, depth: depth + 1, set: (x) => { obj[key] = x; } });
      }
    } else {
      return `unsupported YAML value of type ${Object.prototype.toString.call(src).slice(8, -1)}`;
    }
  }
  return { value: result };
}

function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0].slice(0, 200);
}
