// Events: the recent list, and one event's trace: every step of every flow it concerned, and why.
import { html, useEffect, useState } from './lib.js';
import { path, query as toQuery, useApi } from './api.js';
import { Outcomes } from './flows.js';
import { Badge, Json, LiveStatus, Loading, PageTitle, Problem, Time, href, hrefWithQuery } from './ui.js';

export function EventList({ query }) {
  const packName = query.get('packName') || '';
  const eventName = query.get('event') || '';
  const start = Number(query.get('start') || 0);
  const limit = 50;
  const events = useApi(`v1/audit/events${toQuery({ packName, event: eventName, start: start || '', limit })}`);
  const [draft, setDraft] = useState({ packName, event: eventName });
  const apply = (submitted) => {
    submitted.preventDefault();
    location.hash = hrefWithQuery('#/events', draft);
  };
  const page = (from) => hrefWithQuery('#/events', { packName, event: eventName, start: from ? String(from) : '' });
  return html`<${PageTitle}>Events<//>
    <form class="filters" onSubmit=${apply} aria-label="Filter events">
      <div class="field"><label for="filter-pack">Pack name</label><input id="filter-pack" value=${draft.packName} onInput=${(e) => setDraft({ ...draft, packName: e.currentTarget.value })} /></div>
      <div class="field"><label for="filter-event">Event name</label><input id="filter-event" value=${draft.event} onInput=${(e) => setDraft({ ...draft, event: e.currentTarget.value })} /></div>
      <div class="field actions"><button type="submit">Filter</button> <a href="#/events">Clear</a></div>
    </form>
    ${events.error && html`<${Problem} error=${events.error} what="the events" />`}
    ${events.loading && !events.data && html`<${Loading} what="events" />`}
    ${events.data &&
    (events.data.events.length
      ? html`<div class="table-scroll"><table>
          <thead><tr><th scope="col">Received</th><th scope="col">Pack</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Steps fired</th></tr></thead>
          <tbody>
            ${events.data.events.map(
              (event) => html`<tr key=${event.id} data-event=${event.id}>
                <td><a href=${href('events', event.id)}><${Time} iso=${event.receivedAt} /></a></td>
                <td>${event.pack.id}</td>
                <td><code>${event.event}</code></td>
                <td><${Badge} kind=${event.status} /></td>
                <td>${event.firedSteps ?? '—'}</td>
              </tr>`,
            )}
          </tbody>
        </table></div>`
      : html`<p>No event matches.</p>`)}
    <nav class="pager" aria-label="Pages of events">
      ${start > 0 && html`<a href=${page(Math.max(0, start - limit))}>Newer</a>`}
      ${events.data && events.data.events.length === limit && html`<a href=${page(start + limit)}>Older</a>`}
    </nav>`;
}

export function EventPage({ id }) {
  // Polled while the step matcher has not written its trace yet (status "pending").
  const [done, setDone] = useState(false);
  const event = useApi(path`v1/audit/events/${id}`, { live: !done });
  const data = event.data;
  const processed = Boolean(data && data.status === 'processed');
  useEffect(() => {
    if (processed) setDone(true);
  }, [processed]);
  return html`<${PageTitle} title=${`Event ${id}`}>Event <code class="name">${id}</code><//>
    ${!done && html`<${LiveStatus} state=${event} />`}
    ${event.error && html`<${Problem} error=${event.error} what=${`event ${id}`} />`}
    ${event.loading && !data && html`<${Loading} what="the event" />`}
    ${data &&
    html`<p class="meta"><code>${data.event}</code> from pack <a href=${href('packs', data.pack.id)}>${data.pack.id}</a>, received <${Time} iso=${data.receivedAt} />:${' '}<${Badge} kind=${data.status} />${data.status === 'processed' ? `, ${data.firedSteps} step${data.firedSteps === 1 ? '' : 's'} fired.` : ', not matched yet.'}</p>
      <details><summary>Payload</summary><${Json} value=${data.payload} label="Payload of the event" /></details>
      <section aria-labelledby="trace-title">
        <h2 id="trace-title">Trace</h2>
        ${data.status === 'processed' && !data.flows.length && html`<p>No flow listens to this event: no flow has a step for <code>${data.event}</code> from pack <code>${data.pack.name}</code>.</p>`}
        ${data.flows.map(
          (flow) => html`<article class="trace" key=${`${flow.name}/${flow.correlationId}`} aria-labelledby=${`trace-${flow.correlationId}`}>
            <h3 id=${`trace-${flow.correlationId}`}>Flow <a href=${href('flows', flow.name)}>${flow.name}</a></h3>
            <p>${flow.links && flow.links.length
              ? html`Execution <a class="execution-link" href=${href('executions', flow.correlationId)}><code>${flow.correlationId}</code></a>`
              : html`No step fired, so no execution <code>${flow.correlationId}</code> was started.`}</p>
            <${Outcomes} steps=${flow.steps} heading="Step by step" verb="fired" />
          </article>`,
        )}
      </section>`}`;
}
