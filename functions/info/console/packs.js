// Packs: the list with live/dead state, one pack's registration, and deleting it.
import { html, useState } from './lib.js';
import { path, useApi } from './api.js';
import { ConfirmDelete, Loading, PackState, PageTitle, Problem, Time, href } from './ui.js';

const SAFE_LINK = /^https?:\/\//i;
// The links the engine adds to every pack (its own, its events, its take and ready poll) are not the pack's.
const ENGINE_LINK = /takeAction$|actionReady$|\/event$/;
const registeredLinks = (pack) => (pack.links || []).filter((link) => !['self', 'up'].includes(link.rel) && !ENGINE_LINK.test(link.rel));

export function PackList() {
  const packs = useApi('v1/packs', { live: true });
  const [notice] = useState(() => sessionStorage.getItem('flyte.console.notice'));
  if (notice) sessionStorage.removeItem('flyte.console.notice');
  return html`<${PageTitle}>Packs<//>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${packs.error && html`<${Problem} error=${packs.error} what="the packs" />`}
    ${packs.loading && !packs.data && html`<${Loading} what="packs" />`}
    ${packs.data &&
    (packs.data.packs.length
      ? html`<div class="table-scroll"><table>
          <thead><tr><th scope="col">Pack</th><th scope="col">Name</th><th scope="col">Labels</th><th scope="col">State</th><th scope="col">Last seen</th></tr></thead>
          <tbody>
            ${packs.data.packs.map(
              (pack) => html`<tr key=${pack.id} data-pack=${pack.id}>
                <td><a href=${href('packs', pack.id)}>${pack.id}</a></td>
                <td>${pack.name}</td>
                <td>${Object.entries(pack.labels || {}).map(([key, value]) => html`<code key=${key} class="label">${key}=${value}</code> `)}</td>
                <td><${PackState} pack=${pack} /></td>
                <td><${Time} iso=${pack.lastSeen} relative=${true} /></td>
              </tr>`,
            )}
          </tbody>
        </table></div>`
      : html`<p>No pack has registered yet.</p>`)}`;
}

export function PackPage({ id }) {
  const pack = useApi(path`v1/packs/${id}`);
  const data = pack.data;
  const deleted = () => {
    sessionStorage.setItem('flyte.console.notice', `Pack ${id} deleted.`);
    location.hash = '#/packs';
  };
  return html`<${PageTitle} title=${`Pack ${id}`}>Pack <span class="name">${id}</span><//>
    ${pack.error && html`<${Problem} error=${pack.error} what=${`pack ${id}`} />`}
    ${pack.loading && !data && html`<${Loading} what="the pack" />`}
    ${data &&
    html`<dl class="facts">
        <dt>Name</dt><dd>${data.name}</dd>
        <dt>Labels</dt><dd>${Object.keys(data.labels || {}).length ? Object.entries(data.labels).map(([key, value]) => html`<code key=${key} class="label">${key}=${value}</code> `) : 'none'}</dd>
        <dt>State</dt><dd><${PackState} pack=${data} /> (status <code>${data.status}</code>)</dd>
        <dt>Last seen</dt><dd><${Time} iso=${data.lastSeen} /> (<${Time} iso=${data.lastSeen} relative=${true} />)</dd>
        ${data.registeredBy && html`<dt>Registered by</dt><dd><code>${data.registeredBy.sub}</code></dd>`}
      </dl>
      <section aria-labelledby="commands-title">
        <h2 id="commands-title">Commands</h2>
        ${(data.commands || []).length
          ? html`<ul>${data.commands.map((command) => html`<li key=${command.name}><code>${command.name}</code>${(command.events || []).length ? html` answers ${command.events.map((event, i) => html`${i ? ', ' : ''}<code>${event}</code>`)}` : ''}</li>`)}</ul>`
          : html`<p>None declared.</p>`}
      </section>
      <section aria-labelledby="pack-events-title">
        <h2 id="pack-events-title">Events it sends</h2>
        ${(data.events || []).length ? html`<ul>${data.events.map((event) => html`<li key=${event.name}><code>${event.name}</code></li>`)}</ul>` : html`<p>None declared.</p>`}
        <p><a href=${`#/events?packName=${encodeURIComponent(data.name)}`}>Recent events of packs named ${data.name}</a> · <a href=${`#/executions?actionPackName=${encodeURIComponent(data.name)}`}>Executions with its actions</a></p>
      </section>
      ${registeredLinks(data).length > 0 &&
      html`<section aria-labelledby="links-title">
        <h2 id="links-title">Links it registered</h2>
        <ul>${registeredLinks(data).map((link, index) => html`<li key=${index}>${link.rel}: ${SAFE_LINK.test(link.href) ? html`<a href=${link.href} rel="noopener noreferrer">${link.href}</a>` : html`<code>${link.href}</code>`}</li>`)}</ul>
      </section>`}
      <${ConfirmDelete} what=${`pack ${id}`} where=${path`v1/packs/${id}`} onDeleted=${deleted}
        detail="Its queue goes with it; its flows and the actions already created stay. A pack that is still running registers itself again when it next starts." />`}
    <p><a href=${href('packs')}>All packs</a></p>`;
}
