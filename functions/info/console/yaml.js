// A flow as YAML, as highlighted lines of [class, text] tokens (rendered as text: nothing here is
// ever parsed as markup). Keys in the order people write flows; strings plain where YAML 1.1 reads
// them back unchanged, as block literals when they span lines, else JSON-quoted (valid YAML).
import { html } from './lib.js';

const KEY_ORDER = ['name', 'description', 'steps', 'id', 'event', 'dependsOn', 'context', 'criteria', 'command'];
const PACK_ORDER = ['packName', 'name', 'packLabels', 'input'];
const SPECIAL = /^(y|n|yes|no|true|false|on|off|null|~)$/i;
const PLAIN = /^[A-Za-z_/][A-Za-z0-9 _./@()-]*$/;

function ordered(keys) {
  // an event or a command: its pack first, as flows are written
  const order = keys.includes('packName') ? PACK_ORDER : KEY_ORDER;
  const rank = (key) => {
    const at = order.indexOf(key);
    return at < 0 ? order.length : at;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b)); // stable: unknown keys keep their order
}

const plain = (text) => PLAIN.test(text) && !text.endsWith(' ') && !SPECIAL.test(text);

/** A string as tokens, template markers ({{ }}, {% %}) picked out. */
function stringTokens(text, cls) {
  const tokens = [];
  const pattern = /(\{\{.*?\}\}|\{%.*?%\})/g;
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > at) tokens.push([cls, text.slice(at, match.index)]);
    tokens.push(['tpl', match[0]]);
    at = match.index + match[0].length;
  }
  if (at < text.length) tokens.push([cls, text.slice(at)]);
  return tokens;
}

function scalar(value) {
  if (value === null || value === undefined) return [['null', 'null']];
  if (typeof value === 'boolean') return [['bool', String(value)]];
  if (typeof value === 'number') return [['num', String(value)]];
  const text = String(value);
  return plain(text) ? stringTokens(text, 'str') : stringTokens(JSON.stringify(text), 'str');
}

const isScalar = (value) => value === null || typeof value !== 'object';
const isEmpty = (value) => (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);

/** A multi-line string as a block literal, when YAML reads it back exactly; else null. */
function literal(text) {
  if (!text.includes('\n') || /^[ \t]/.test(text) || /(^|\n)[ \t]+(\n|$)/.test(text) || /[\r\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(text)) return null;
  const keep = text.endsWith('\n');
  const body = keep ? text.slice(0, -1) : text;
  if (body.endsWith('\n') || body === '') return null; // several trailing newlines: quoted instead
  return { indicator: keep ? '|' : '|-', lines: body.split('\n') };
}

function keyTokens(key) {
  return [['key', plain(key) ? key : JSON.stringify(key)], ['punct', ':']];
}

function mapping(value, indent, lines, first) {
  // `first`: tokens already on the current line (a sequence's "- "), for the first key.
  ordered(Object.keys(value)).forEach((key, index) => {
    const lead = index === 0 && first ? first : [['ws', ' '.repeat(indent)]];
    entry(keyTokens(key), value[key], indent, lines, lead);
  });
}

function entry(head, value, indent, lines, lead) {
  if (isScalar(value)) {
    const block = typeof value === 'string' ? literal(value) : null;
    if (block) {
      lines.push([...lead, ...head, ['ws', ' '], ['punct', block.indicator]]);
      for (const line of block.lines) lines.push(line ? [['ws', ' '.repeat(indent + 2)], ...stringTokens(line, 'str')] : []);
      return;
    }
    lines.push([...lead, ...head, ['ws', ' '], ...scalar(value)]);
  } else if (isEmpty(value)) {
    lines.push([...lead, ...head, ['ws', ' '], ['punct', Array.isArray(value) ? '[]' : '{}']]);
  } else if (Array.isArray(value)) {
    lines.push([...lead, ...head]);
    sequence(value, indent + 2, lines);
  } else {
    lines.push([...lead, ...head]);
    mapping(value, indent + 2, lines);
  }
}

function sequence(value, indent, lines) {
  for (const item of value) {
    const dash = [['ws', ' '.repeat(indent)], ['punct', '-'], ['ws', ' ']];
    if (isScalar(item)) {
      const block = typeof item === 'string' ? literal(item) : null;
      if (block) {
        lines.push([...dash, ['punct', block.indicator]]);
        for (const line of block.lines) lines.push(line ? [['ws', ' '.repeat(indent + 2)], ...stringTokens(line, 'str')] : []);
      } else lines.push([...dash, ...scalar(item)]);
    } else if (isEmpty(item)) {
      lines.push([...dash, ['punct', Array.isArray(item) ? '[]' : '{}']]);
    } else if (Array.isArray(item)) {
      lines.push([['ws', ' '.repeat(indent)], ['punct', '-']]);
      sequence(item, indent + 2, lines);
    } else {
      mapping(item, indent + 2, lines, dash);
    }
  }
}

/** The lines of `value` (an object) as YAML tokens. */
export function yamlLines(value) {
  const lines = [];
  if (isScalar(value) || isEmpty(value)) lines.push(scalar(value));
  else if (Array.isArray(value)) sequence(value, 0, lines);
  else mapping(value, 0, lines);
  return lines;
}

export const yamlText = (value) => yamlLines(value).map((line) => line.map((token) => token[1]).join('')).join('\n') + '\n';

/** The highlighted YAML of a value, selectable and copyable as plain text. */
export function Yaml({ value, label }) {
  const lines = yamlLines(value);
  return html`<pre class="yaml" tabindex="0" aria-label=${label}><code>${lines.map(
    (line) => html`${line.map(([cls, text]) => (cls === 'ws' ? text : html`<span class=${`y-${cls}`}>${text}</span>`))}${'\n'}`,
  )}</code></pre>`;
}
