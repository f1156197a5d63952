// Pieces every page uses: times, states, errors (with the token form), JSON, confirmations.
import { html, useState, useEffect, useRef } from './lib.js';
import { token, request } from './api.js';
import { OIDC, signIn } from './oidc.js';

export const href = (...parts) => '#/' + parts.map((part) => encodeURIComponent(part)).join('/');

export function hrefWithQuery(base, params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `${base}?${text}` : base;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function ago(iso, now = Date.now()) {
  if (!iso || iso === ZERO_TIME) return 'never';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 0) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function Time({ iso, relative = false, precise = false }) {
  if (!iso || iso === ZERO_TIME) return html`<span>—</span>`;
  const date = new Date(iso);
  let text = relative ? ago(iso) : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  if (precise) text = `${date.toLocaleTimeString(undefined, { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
  return html`<time datetime=${iso} title=${iso}>${text}</time>`;
}

/** A state, outcome or status as a labelled chip (the word is always shown, colour only repeats it). */
export function Badge({ kind, children }) {
  return html`<span class=${`badge badge-${String(kind).toLowerCase()}`}>${children || kind}</span>`;
}

/** A pack is live while seen within the liveness window (the API's status "live"), else dead. */
export const packLive = (pack) => pack.status === 'live';

export function PackState({ pack }) {
  return packLive(pack)
    ? html`<${Badge} kind="live">live<//>`
    : html`<span class="badge badge-dead" title=${`status ${pack.status}`}>dead</span>`;
}

export function executionOutcome(execution) {
  const actions = Object.values(execution.actions || {});
  if (actions.some((action) => action.state.value === 'FATAL') || (execution.stepFailures || []).length) return 'failed';
  if (actions.some((action) => action.state.value === 'NEW' || action.state.value === 'PENDING')) return 'running';
  return 'succeeded';
}

export function lastChange(execution) {
  const times = Object.values(execution.actions || {}).map((action) => action.state.time);
  for (const failure of execution.stepFailures || []) times.push(failure.time);
  return times.sort().at(-1) || '';
}

export function firstChange(execution) {
  const times = [];
  for (const action of Object.values(execution.actions || {})) times.push(...(action.states || []).map((s) => s.time), action.state.time);
  for (const failure of execution.stepFailures || []) times.push(failure.time);
  return times.sort()[0] || '';
}

/** One line saying why something failed, from a FATAL result's payload (a string or an object). */
export function reasonOf(payload) {
  if (payload === null || payload === undefined) return 'no reason given';
  if (typeof payload === 'string') return payload;
  if (typeof payload === 'object') {
    for (const key of ['error', 'message', 'reason', 'stderr', 'detail']) {
      if (typeof payload[key] === 'string' && payload[key].trim()) return payload[key];
    }
    if (payload.truncated) return 'the reason is too long for the list; open the execution';
  }
  return JSON.stringify(payload);
}

export const short = (text, size = 160) => (text.length > size ? `${text.slice(0, size - 1)}…` : text);

/** Any JSON value as indented text (never as markup). */
export function Json({ value, label }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return html`<pre class="json" tabindex="0" aria-label=${label || 'JSON value'}>${text}</pre>`;
}

export function Loading({ what }) {
  return html`<p class="loading" role="status">Loading ${what}…</p>`;
}

/** A refused or failed request, said plainly; a 401 offers the token form, a 403 says what the policy refuses. */
export function Problem({ error, what }) {
  const status = error.status;
  const detail = error.problem.detail || error.problem.title || error.message;
  const request = `${error.method} ${error.path}`;
  const doing = { GET: 'read', DELETE: 'delete', POST: 'run', PUT: 'change' }[error.method] || 'use';
  if (status === 401) {
    const had = Boolean(token.get());
    return html`<section class="problem" role="alert" aria-labelledby="problem-title">
      <h2 id="problem-title">${had ? 'Your token is not accepted for this' : 'This API needs a token'}</h2>
      <p>${had ? 'The API refused the token this tab holds' : 'The API asks for a token'} to ${doing} ${what} (<code>${request}</code>: 401, “${detail}”).</p>
      <${TokenForm} again=${had} />
    </section>`;
  }
  if (status === 403) {
    return html`<section class="problem" role="alert" aria-labelledby="problem-title">
      <h2 id="problem-title">Not allowed</h2>
      <p>The API's policy does not let this token ${doing} ${what} (<code>${request}</code>: 403): ${detail}</p>
      <${TokenForm} again=${true} />
    </section>`;
  }
  if (status === 404) {
    return html`<section class="problem" role="alert"><h2>Not found</h2><p>${detail}</p></section>`;
  }
  return html`<section class="problem" role="alert" aria-labelledby="problem-title">
    <h2 id="problem-title">${status ? `The API answered ${status}` : 'No answer from the API'}</h2>
    <p><code>${request}</code>: ${detail}</p>
  </section>`;
}

let formCount = 0;

/** Asks for a token; keeps it for this tab only. */
export function TokenForm({ again = false }) {
  const [value, setValue] = useState('');
  const [leaving, setLeaving] = useState(null);
  const id = useRef(`token-${(formCount += 1)}`).current;
  const submit = (event) => {
    event.preventDefault();
    token.set(value);
  };
  const login = () => {
    setLeaving('');
    signIn().catch((error) => setLeaving(error.message));
  };
  return html`${OIDC &&
    html`<div class="sign-in">
      <button type="button" onClick=${login} disabled=${leaving === ''}>Sign in with ${OIDC.host}</button>
      ${leaving && html`<p class="invalid" role="alert">${leaving}</p>`}
      <p class="hint">or paste a token:</p>
    </div>`}<form class="token-form" onSubmit=${submit}>
    <label for=${id}>${again ? 'Use another token' : 'Token'} <span class="hint">(a bearer token: an ID token of your identity provider, or one from <code>flyte token mint</code>; kept for this tab only)</span></label>
    <div class="row">
      <input id=${id} type="password" autocomplete="off" spellcheck="false" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} required />
      <button type="submit">Use this token</button>
    </div>
  </form>`;
}

/** A destructive action behind an explicit second step. */
export function ConfirmDelete({ what, detail, onDeleted, where }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef(null);
  useEffect(() => {
    if (asking && confirmRef.current) confirmRef.current.focus();
  }, [asking]);
  const remove = async () => {
    setBusy(true);
    try {
      await request(where, { method: 'DELETE' });
      onDeleted();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  if (!asking) return html`<p><button class="danger" type="button" onClick=${() => setAsking(true)}>Delete ${what}…</button></p>`;
  return html`<div class="confirm" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-detail">
    <h2 id="confirm-title">Delete ${what}?</h2>
    <p id="confirm-detail">${detail}</p>
    ${error && html`<${Problem} error=${error} what=${what} />`}
    <div class="row">
      <button class="danger" type="button" ref=${confirmRef} disabled=${busy} onClick=${remove}>Yes, delete ${what}</button>
      <button type="button" onClick=${() => setAsking(false)}>Cancel</button>
    </div>
  </div>`;
}

/** Says whether this view is refreshing itself, and when it last did. */
export function LiveStatus({ state }) {
  let text = '';
  if (state.live === 'paused') text = 'Live updates paused while this tab is hidden.';
  else if (state.live === 'on') text = `Live: refreshed ${state.updatedAt ? state.updatedAt.toLocaleTimeString() : ''}, next in ${Math.round(state.nextMs / 1000)} s.`;
  if (!text) return null;
  return html`<p class="live" data-live=${state.live}>${text}</p>`;
}

/** Marks (once per visit) when a page first shows its data: the browser tests read it as the time to first render. */
export function useRenderedMark(ready) {
  useEffect(() => {
    if (ready && !performance.getEntriesByName('flyte:rendered').length) performance.mark('flyte:rendered');
  }, [ready]);
}

let focusPending = false;
/** After a navigation, the next page heading takes the focus. */
export function focusNextTitle() {
  focusPending = true;
}

/** A page's heading, which takes the focus when the page opens (keyboard and screen reader users land on it). */
export function PageTitle({ children, title }) {
  const ref = useRef(null);
  useEffect(() => {
    document.title = `${title || (typeof children === 'string' ? children : 'Flyte')} · Flyte console`;
    if (ref.current && focusPending) {
      focusPending = false;
      ref.current.focus({ preventScroll: true });
    }
  }, [title]);
  return html`<h1 tabindex="-1" ref=${ref}>${children}</h1>`;
}
