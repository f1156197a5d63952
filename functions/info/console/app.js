// The Flyte console: one page, routed by the URL's fragment (#/flows/name...), so the server only
// ever serves /console and its files, and every view can be bookmarked or shared.
import { html, render, useEffect, useState } from './lib.js';
import { token, useTokenVersion } from './api.js';
import { finishSignIn } from './oidc.js';
import { focusNextTitle, TokenForm } from './ui.js';
import { Overview } from './overview.js';
import { FlowList, FlowPage } from './flows.js';
import { ExecutionList, ExecutionPage } from './executions.js';
import { EventList, EventPage } from './events.js';
import { PackList, PackPage } from './packs.js';
import { DatastoreList, DatastoreItem } from './datastore.js';

const SECTIONS = [
  ['', 'Overview'],
  ['flows', 'Flows'],
  ['executions', 'Executions'],
  ['events', 'Events'],
  ['packs', 'Packs'],
  ['datastore', 'Datastore'],
];

function parseLocation() {
  const fragment = location.hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = fragment.split('?');
  const parts = pathPart
    .split('/')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { parts, query: new URLSearchParams(queryPart) };
}

function Page({ route }) {
  const [section, name] = route.parts;
  const { query } = route;
  switch (section) {
    case undefined:
      return html`<${Overview} />`;
    case 'flows':
      return name === undefined ? html`<${FlowList} query=${query} />` : html`<${FlowPage} name=${name} query=${query} />`;
    case 'executions':
      return name === undefined ? html`<${ExecutionList} query=${query} />` : html`<${ExecutionPage} id=${name} />`;
    case 'events':
      return name === undefined ? html`<${EventList} query=${query} />` : html`<${EventPage} id=${name} />`;
    case 'packs':
      return name === undefined ? html`<${PackList} />` : html`<${PackPage} id=${name} />`;
    case 'datastore':
      return name === undefined ? html`<${DatastoreList} />` : html`<${DatastoreItem} itemKey=${name} />`;
    default:
      return html`<section class="problem" role="alert"><h1>No such page</h1><p>The console has no page <code>${location.hash}</code>. <a href="#/">Go to the overview</a>.</p></section>`;
  }
}

function subjectOf(bearer) {
  try {
    const part = bearer.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4))).sub || '';
  } catch {
    return '';
  }
}

function TokenStatus() {
  useTokenVersion();
  const [open, setOpen] = useState(false);
  const bearer = token.get();
  if (bearer) {
    const subject = subjectOf(bearer);
    return html`<div class="token-status"><span>${subject ? `Signed in as ${subject}` : 'Token set for this tab'}</span>${' '}<button type="button" class="link" onClick=${() => token.clear()}>Forget it</button></div>`;
  }
  return html`<div class="token-status">
    <button type="button" class="link" aria-expanded=${open} onClick=${() => setOpen(!open)}>Use a token</button>
    ${open && html`<div class="token-popover"><${TokenForm} /></div>`}
  </div>`;
}

function App({ signInProblem }) {
  const [route, setRoute] = useState(parseLocation);
  useEffect(() => {
    const onChange = () => {
      focusNextTitle();
      setRoute(parseLocation());
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const current = route.parts[0] || '';
  return html`
    <a class="skip" href="#main" onClick=${(event) => {
      event.preventDefault();
      document.getElementById('main').focus();
    }}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/">Flyte</a>
      <nav aria-label="Console sections">
        <ul>
          ${SECTIONS.map(
            ([key, text]) => html`<li><a href=${`#/${key}`} aria-current=${current === key ? 'page' : undefined}>${text}</a></li>`,
          )}
        </ul>
      </nav>
      <${TokenStatus} />
    </header>
    <main id="main" tabindex="-1">
      ${signInProblem && html`<section class="problem" role="alert"><h2>Not signed in</h2><p>${signInProblem}</p></section>`}
      <${Page} route=${route} key=${route.parts.join('/')} />
    </main>`;
}

// Back from the identity provider (?code=...&state=...): the token first, then the page.
const signInProblem = await finishSignIn().catch((error) => `The sign-in failed: ${error.message}`);
sessionStorage.removeItem('flyte.console.reloadedAfterAFailedLoad'); // started: boot.js may reload again
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} signInProblem=${signInProblem} />`, root);
