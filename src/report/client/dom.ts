/**
 * The only way the page makes DOM: elements from a fixed tag name, attributes
 * from a list that cannot carry script or URLs, and children as text nodes.
 * Nothing here parses HTML (no innerHTML, no insertAdjacentHTML), and no
 * captured string ever becomes an attribute that navigates or runs code. The
 * page's CSP (Trusted Types, hashed scripts) would stop a slip; this makes
 * one impossible to write.
 */

export type Child = Node | string | number | null | undefined | false;

/** Attributes a captured string may reach: none of them run script or load anything. */
const SAFE_ATTRIBUTES = new Set([
  'class', 'title', 'role', 'tabindex', 'type', 'placeholder', 'value', 'id', 'for', 'colspan', 'scope', 'start',
  'aria-label', 'aria-expanded', 'aria-selected', 'aria-controls', 'aria-live', 'aria-hidden', 'aria-pressed', 'aria-describedby',
  'width', 'height', 'min', 'max', 'step', 'autocomplete', 'spellcheck', 'open', 'checked', 'disabled', 'hidden',
]);

export type Attributes = Record<string, string | number | boolean | undefined | null>;

export function h(tag: string, attrs: Attributes | null = null, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (attrs !== null) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (!SAFE_ATTRIBUTES.has(name) && !name.startsWith('data-')) throw new Error(`report: attribute ${name} is not allowed`);
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** An in-page link: only ever `#` and an id made of our own characters. */
export function anchor(targetId: string, attrs: Attributes | null, ...children: Child[]): HTMLElement {
  if (!/^[a-z][a-z0-9-]*$/.test(targetId)) throw new Error(`report: bad link target ${targetId}`);
  const a = h('a', attrs, ...children);
  a.setAttribute('href', `#${targetId}`);
  return a;
}

/** A button that runs `action` on click. */
export function button(label: Child, action: (e: MouseEvent) => void, attrs: Attributes | null = null): HTMLElement {
  const b = h('button', { type: 'button', ...(attrs ?? {}) }, label);
  b.addEventListener('click', action);
  return b;
}

/**
 * Characters shown as escapes: C0 and C1 controls, invisible and bidi
 * formatting characters (a right-to-left override can make `exe.txt` read
 * as `txt.exe`), and the U+DC80..U+DCFF stand-ins for bytes that were not
 * UTF-8 (surrogateescape, as in the NDJSON output).
 */
const SPECIAL = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\udc80-\udcff]/;
const SPECIAL_ALL = new RegExp(SPECIAL.source, 'g');

/**
 * Hostile text as DOM: plain text nodes, with every special character as a
 * visibly different escape (`\x1b`, `\u202e`). The text itself is never parsed.
 */
export function hostile(s: string): Node {
  if (!SPECIAL.test(s)) return document.createTextNode(s);
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const m of s.matchAll(SPECIAL_ALL)) {
    const at = m.index ?? 0;
    if (at > last) frag.appendChild(document.createTextNode(s.slice(last, at)));
    frag.appendChild(h('span', { class: 'esc', title: 'a character shown as its escape' }, escapeOf(m[0])));
    last = at + m[0].length;
  }
  if (last < s.length) frag.appendChild(document.createTextNode(s.slice(last)));
  return frag;
}

/** A hostile string inside an element (the element's text equals the string when it has no special characters). */
export function hostileIn(tag: string, attrs: Attributes | null, s: string): HTMLElement {
  const el = h(tag, attrs);
  el.appendChild(hostile(s));
  return el;
}

function escapeOf(c: string): string {
  const code = c.charCodeAt(0);
  if (code >= 0xdc80 && code <= 0xdcff) return `\\x${(code - 0xdc00).toString(16).padStart(2, '0')}`;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

export function clear(el: Node): void {
  while (el.firstChild !== null) el.removeChild(el.firstChild);
}

export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`report: #${id} missing`);
  return el;
}
