// Datastore: the items, one item's value shown as text (never as markup, whatever its type), deleting it.
import { html, useEffect, useState } from './lib.js';
import { path, request, useApi, useTokenVersion } from './api.js';
import { ConfirmDelete, Loading, PageTitle, Problem, href } from './ui.js';

export function DatastoreList() {
  const items = useApi('v1/datastore');
  const [notice] = useState(() => sessionStorage.getItem('flyte.console.notice'));
  if (notice) sessionStorage.removeItem('flyte.console.notice');
  return html`<${PageTitle}>Datastore<//>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${items.error && html`<${Problem} error=${items.error} what="the datastore" />`}
    ${items.loading && !items.data && html`<${Loading} what="the datastore" />`}
    ${items.data &&
    (items.data.datastore.length
      ? html`<div class="table-scroll"><table>
          <thead><tr><th scope="col">Key</th><th scope="col">Content type</th><th scope="col">Description</th></tr></thead>
          <tbody>
            ${items.data.datastore.map(
              (item) => html`<tr key=${item.key} data-key=${item.key}>
                <td><a href=${href('datastore', item.key)}>${item.key}</a></td>
                <td><code>${item.contentType}</code></td>
                <td>${item.description || ''}</td>
              </tr>`,
            )}
          </tbody>
        </table></div>`
      : html`<p>The datastore is empty.</p>`)}`;
}

export function DatastoreItem({ itemKey }) {
  const where = path`v1/datastore/${itemKey}`;
  const version = useTokenVersion();
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    let cancelled = false;
    request(where, { as: 'text' }).then(
      (value) => !cancelled && setState({ value }),
      (error) => !cancelled && setState({ error }),
    );
    return () => {
      cancelled = true;
    };
  }, [where, version]);
  const deleted = () => {
    sessionStorage.setItem('flyte.console.notice', `Item ${itemKey} deleted.`);
    location.hash = '#/datastore';
  };
  const value = state.value;
  return html`<${PageTitle} title=${`Datastore ${itemKey}`}>Datastore item <span class="name">${itemKey}</span><//>
    ${state.error && html`<${Problem} error=${state.error} what=${`item ${itemKey}`} />`}
    ${state.loading && html`<${Loading} what="the value" />`}
    ${value &&
    html`<p class="meta"><code>${value.contentType || 'no content type'}</code>, ${value.size} bytes. Shown as text, whatever its type.</p>
      ${value.text === null
        ? html`<p>This value is not UTF-8 text, so it is not shown.</p>`
        : html`<pre class="value" tabindex="0" aria-label=${`Value of ${itemKey}`} data-testid="datastore-value">${value.text}</pre>`}
      <${ConfirmDelete} what=${`item ${itemKey}`} where=${where} onDeleted=${deleted} detail="Flows whose templates read it with datastore() fail at that step until it is stored again." />`}
    <p><a href=${href('datastore')}>All items</a></p>`;
}
