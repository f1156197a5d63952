// The console's only way to its data: the same /v1 API a pack or the CLI uses, with the user's token.
import { useEffect, useState } from './lib.js';

const meta = document.querySelector('meta[name="flyte-api"]');
/** The API's root, as the page was served with it (ends with "/"). */
export const API = meta && meta.content ? meta.content : new URL('../', import.meta.url).href;

// The token lives for this tab's session only (sessionStorage): never in localStorage, a cookie or a URL.
const TOKEN_KEY = 'flyte.console.token';
const listeners = new Set();
let tokenVersion = 0;

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || '',
  set(value) {
    const trimmed = value.trim().replace(/^bearer\s+/i, '');
    if (trimmed) sessionStorage.setItem(TOKEN_KEY, trimmed);
    else sessionStorage.removeItem(TOKEN_KEY);
    tokenVersion += 1;
    listeners.forEach((listener) => listener(tokenVersion));
  },
  clear() {
    token.set('');
  },
};

/** Re-renders the caller whenever the token changes (so every page loads again with it). */
export function useTokenVersion() {
  const [version, setVersion] = useState(tokenVersion);
  useEffect(() => {
    listeners.add(setVersion);
    return () => listeners.delete(setVersion);
  }, []);
  return version;
}

/** A refused or failed request, with the API's problem+json (title, detail, status...). */
export class ApiError extends Error {
  constructor(status, problem, method, path) {
    super((problem && (problem.detail || problem.title || problem.message)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.method = method;
    this.path = `/${path}`;
  }
}

export function path(strings, ...values) {
  // path`/v1/flows/${name}`: every value one percent-encoded segment (or query value).
  return strings.reduce((out, text, i) => out + text + (i < values.length ? encodeURIComponent(values[i]) : ''), '');
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

const READ_ATTEMPTS = 2;
const READ_RETRY_MS = 500;

/** One API call; resolves to the JSON body (null for 204), or {text, contentType, size} with as: 'text'. */
export async function request(where, { method = 'GET', body, as = 'json' } = {}) {
  where = where.replace(/^\//, '');
  const headers = { Accept: 'application/json' };
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  }
  const url = API + where;
  let response;
  for (let attempt = 1; !response; attempt++) {
    try {
      response = await fetch(url, { method, headers, body, credentials: 'omit', cache: 'no-store', redirect: 'error' });
    } catch (error) {
      // No answer at all: the connection dropped, as a browser drops them all when the machine's
      // network changes. A read is asked once more; a write is not, since it may have been done.
      if (method === 'GET' && attempt < READ_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS));
        continue;
      }
      throw new ApiError(0, { title: 'No answer', detail: `The API did not answer ${method} ${where} (${error.message}).` }, method, where);
    }
  }
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      problem = { title: response.statusText };
    }
    throw new ApiError(response.status, problem, method, where);
  }
  if (as === 'text') {
    const bytes = new Uint8Array(await response.arrayBuffer());
    let text = null;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      text = null; // not UTF-8: shown as a size, never decoded into something else
    }
    return { text, size: bytes.length, contentType: response.headers.get('content-type') || '' };
  }
  if (response.status === 204 || response.status === 202 || method === 'DELETE') return null;
  return response.json();
}

// Live updates: poll, doubling the wait while nothing changes (2 s up to 30 s), back to 2 s on a
// change; nothing while the tab is hidden, at once when it shows again.
export const POLL_MIN_MS = 2000;
export const POLL_MAX_MS = 30000;

/**
 * The body of `where` (null: nothing to load), loaded again when the token changes, and while `live`,
 * polled with backoff. Returns {data, error, loading, updatedAt, live: 'off' | 'on' | 'paused', nextMs, reload}.
 */
export function useApi(where, { live = false } = {}) {
  const version = useTokenVersion();
  const [state, setState] = useState({ data: undefined, error: null, loading: true, live: 'off' });
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    if (!where) {
      setState({ data: undefined, error: null, loading: false, live: 'off' });
      return undefined;
    }
    let cancelled = false;
    let timer = null;
    let inFlight = false;
    let delay = POLL_MIN_MS;
    let last = null;
    setState((previous) => ({ ...previous, loading: true, error: null }));
    const schedule = () => {
      if (!live || cancelled) return;
      if (document.hidden) {
        setState((previous) => ({ ...previous, live: 'paused' }));
        return;
      }
      timer = setTimeout(load, delay);
      setState((previous) => ({ ...previous, live: 'on', nextMs: delay }));
    };
    const load = async () => {
      timer = null;
      inFlight = true;
      try {
        const data = await request(where);
        if (cancelled) return;
        const text = JSON.stringify(data);
        delay = text === last ? Math.min(delay * 2, POLL_MAX_MS) : POLL_MIN_MS;
        last = text;
        setState((previous) => ({ ...previous, data, error: null, loading: false, updatedAt: new Date() }));
      } catch (error) {
        if (cancelled) return;
        delay = Math.min(delay * 2, POLL_MAX_MS);
        setState((previous) => ({ ...previous, error, loading: false }));
        if (error.status === 401 || error.status === 403 || error.status === 404) return; // polling cannot fix these
      } finally {
        inFlight = false;
      }
      schedule();
    };
    const onVisibility = () => {
      if (document.hidden) {
        clearTimeout(timer);
        timer = null;
        setState((previous) => ({ ...previous, live: 'paused' }));
      } else if (!timer && !inFlight) {
        delay = POLL_MIN_MS;
        load();
      }
    };
    load();
    if (live) document.addEventListener('visibilitychange', onVisibility);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [where, live, version, reloads]);
  return { ...state, reload: () => setReloads((n) => n + 1) };
}
