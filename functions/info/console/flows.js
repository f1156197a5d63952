// Flows: the list with search; one flow as a graph and as YAML, its recent executions, and a dry run.
import { html, useEffect, useMemo, useState } from './lib.js';
import { path, request, useApi } from './api.js';
import { FlowGraph } from './graph.js';
import { Yaml } from './yaml.js';
import { ExecutionTable } from './executions.js';
import { Badge, Json, Loading, PageTitle, Problem, href, short, useRenderedMark } from './ui.js';

export function FlowList({ query }) {
  const flows = useApi('v1/flows');
  const [search, setSearch] = useState(query.get('q') || '');
  const needle = search.trim().toLowerCase();
  const shown = flows.data
    ? flows.data.flows.filter((flow) => !needle || flow.name.toLowerCase().includes(needle) || (flow.description || '').toLowerCase().includes(needle))
    : [];
  return html`<${PageTitle}>Flows<//>
    ${flows.error && html`<${Problem} error=${flows.error} what="the flows" />`}
    <div class="filters">
      <label for="flow-search">Search flows</label>
      <input id="flow-search" type="search" value=${search} placeholder="name or description" onInput=${(e) => setSearch(e.currentTarget.value)} />
    </div>
    ${flows.loading && !flows.data && html`<${Loading} what="flows" />`}
    ${flows.data &&
    html`<p role="status">${shown.length} of ${flows.data.flows.length} flows${needle ? ` match “${search.trim()}”` : ''}.</p>
      <ul class="cards-list">
        ${shown.map(
          (flow) => html`<li key=${flow.name}><a href=${href('flows', flow.name)}>${flow.name}</a>${flow.description && html`<p>${flow.description}</p>`}</li>`,
        )}
      </ul>`}`;
}

const withoutLinks = (flow) => {
  const { links, ...rest } = flow;
  return rest;
};

export function FlowPage({ name }) {
  const flow = useApi(path`v1/flows/${name}`);
  const executions = useApi(`v1/audit/flows?flowName=${encodeURIComponent(name)}&limit=10`);
  const [dryRun, setDryRun] = useState(null);
  const steps = flow.data ? flow.data.steps : null;
  useRenderedMark(Boolean(steps));
  const marks = useMemo(() => {
    if (!dryRun) return null;
    return new Map(dryRun.steps.map((outcome, index) => [index, { state: outcome.outcome, label: outcome.outcome === 'fired' ? 'fired' : `skipped: ${outcome.reason}` }]));
  }, [dryRun]);
  return html`<${PageTitle} title=${name}>Flow <span class="name">${name}</span><//>
    ${flow.error && html`<${Problem} error=${flow.error} what=${`flow ${name}`} />`}
    ${flow.loading && !flow.data && html`<${Loading} what="the flow" />`}
    ${flow.data &&
    html`${flow.data.description && html`<p class="lead">${flow.data.description}</p>`}
      <p class="meta">${steps.length} steps${flow.data.createdBy ? html`, saved by <code>${flow.data.createdBy.sub}</code>` : ''}.${' '}<a href=${href('executions') + `?flowName=${encodeURIComponent(name)}`}>All its executions</a></p>
      <section aria-labelledby="graph-title">
        <h2 id="graph-title">Steps${dryRun ? ' (dry run)' : ''}</h2>
        <p class="hint">⚡ marks an event that starts the flow; an arrow from a step means “runs after it”. Each step says the event it waits for and which pack runs its command.</p>
        <${FlowGraph} steps=${steps} marks=${marks} label=${`Steps of flow ${name}`} />
        ${dryRun && html`<${Legend} kinds=${['fired', 'skipped']} />`}
      </section>
      <${DryRun} flow=${flow.data} onResult=${setDryRun} result=${dryRun} />
      <section aria-labelledby="yaml-title">
        <h2 id="yaml-title">YAML</h2>
        <${Yaml} value=${withoutLinks(flow.data)} label=${`Flow ${name} as YAML`} />
      </section>`}
    <section aria-labelledby="recent-title">
      <h2 id="recent-title">Recent executions</h2>
      ${executions.error && html`<${Problem} error=${executions.error} what="its executions" />`}
      ${executions.data && html`<${ExecutionTable} executions=${executions.data.flows} empty="This flow has not run yet." />`}
    </section>`;
}

export function Legend({ kinds }) {
  return html`<ul class="legend" aria-label="Colours of the graph">
    ${kinds.map((kind) => html`<li key=${kind}><span class=${`swatch state-${kind.toLowerCase()}`} aria-hidden="true"></span>${kind}</li>`)}
  </ul>`;
}

function triggerEvent(flow) {
  const trigger = flow.steps.find((step) => !(step.dependsOn || []).length) || flow.steps[0];
  return {
    packName: trigger?.event?.packName || '',
    packLabels: {},
    event: trigger?.event?.name || '',
    payload: {},
  };
}

/** Recent events this flow listens to, from the events audit of each of its trigger packs. */
function useRecentEvents(flow) {
  const [events, setEvents] = useState([]);
  useEffect(() => {
    let cancelled = false;
    const wanted = new Set(flow.steps.map((step) => `${step.event?.packName}\u0000${step.event?.name}`));
    const packs = [...new Set(flow.steps.map((step) => step.event?.packName).filter(Boolean))].slice(0, 5);
    Promise.all(packs.map((pack) => request(`v1/audit/events?packName=${encodeURIComponent(pack)}&limit=50`).catch(() => ({ events: [] }))))
      .then((answers) => {
        if (cancelled) return;
        const found = answers
          .flatMap((answer) => answer.events)
          .filter((event) => wanted.has(`${event.pack.name}\u0000${event.event}`))
          .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : -1))
          .slice(0, 10);
        // the list has no payloads: each picked event's payload is shown in its option
        return Promise.all(found.map((event) => request(path`v1/audit/events/${event.id}`).catch(() => event)));
      })
      .then((found) => {
        if (!cancelled && found) setEvents(found);
      });
    return () => {
      cancelled = true;
    };
  }, [flow]);
  return events;
}

function parseJson(text, what, optional) {
  if (optional && !text.trim()) return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: `${what} is not JSON: ${error.message}` };
  }
}

function DryRun({ flow, onResult, result }) {
  const [eventText, setEventText] = useState(() => JSON.stringify(triggerEvent(flow), null, 2));
  const [statesText, setStatesText] = useState('');
  const [contextText, setContextText] = useState('');
  const [invalid, setInvalid] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const recent = useRecentEvents(flow);
  const pick = async (id) => {
    if (!id) return;
    try {
      const event = await request(path`v1/audit/events/${id}`);
      setEventText(JSON.stringify({ packName: event.pack.name, packLabels: event.pack.labels || {}, event: event.event, payload: event.payload ?? null }, null, 2));
      setInvalid('');
    } catch (caught) {
      setError(caught);
    }
  };
  const run = async (submitted) => {
    submitted.preventDefault();
    const event = parseJson(eventText, 'The event', false);
    const states = parseJson(statesText, 'The states', true);
    const context = parseJson(contextText, 'The context', true);
    const wrong = event.error || states.error || context.error;
    setInvalid(wrong || '');
    if (wrong) return;
    setBusy(true);
    setError(null);
    try {
      const body = { event: event.value };
      if (states.value !== undefined) body.states = states.value;
      if (context.value !== undefined) body.context = context.value;
      onResult(await request(path`v1/flows/${flow.name}/test`, { method: 'POST', body }));
    } catch (caught) {
      setError(caught);
      onResult(null);
    } finally {
      setBusy(false);
    }
  };
  return html`<section aria-labelledby="dry-run-title" class="dry-run">
    <h2 id="dry-run-title">Dry run</h2>
    <p class="hint">What this flow would do with an event: each step's outcome and why, and the command it would send. Nothing is stored, nothing runs.</p>
    <form onSubmit=${run}>
      <div class="field">
        <label for="dry-run-pick">Pick a recent event</label>
        <select id="dry-run-pick" onChange=${(e) => pick(e.currentTarget.value)}>
          <option value="">${recent.length ? `— ${recent.length} recent events this flow listens to —` : '— no recent event this flow listens to —'}</option>
          ${recent.map((event) => html`<option key=${event.id} value=${event.id}>${new Date(event.receivedAt).toLocaleString()} · ${event.pack.id} · ${event.event}${event.payload !== undefined ? ` · ${short(JSON.stringify(event.payload), 60)}` : ''}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="dry-run-event">Event (JSON: packName, packLabels, event, payload)</label>
        <textarea id="dry-run-event" rows="8" spellcheck="false" value=${eventText} aria-invalid=${Boolean(invalid)} aria-describedby="dry-run-invalid" onInput=${(e) => setEventText(e.currentTarget.value)}></textarea>
      </div>
      <details>
        <summary>Continue an execution (optional states and context)</summary>
        <div class="field">
          <label for="dry-run-states">States of the execution's steps (JSON, e.g. {"first": "SUCCESS"})</label>
          <textarea id="dry-run-states" rows="3" spellcheck="false" value=${statesText} onInput=${(e) => setStatesText(e.currentTarget.value)}></textarea>
        </div>
        <div class="field">
          <label for="dry-run-context">Context (JSON object of strings)</label>
          <textarea id="dry-run-context" rows="3" spellcheck="false" value=${contextText} onInput=${(e) => setContextText(e.currentTarget.value)}></textarea>
        </div>
      </details>
      <p id="dry-run-invalid" class="invalid" role="alert">${invalid}</p>
      <button type="submit" disabled=${busy}>${busy ? 'Running…' : 'Run dry run'}</button>
    </form>
    ${error && html`<${Problem} error=${error} what="a dry run" />`}
    ${result && html`<${Outcomes} steps=${result.steps} />`}
  </section>`;
}

/** Each step's outcome, its reason and detail, and for a step that fires the rendered command. */
export function Outcomes({ steps, heading = 'Outcome of each step', verb = 'would fire' }) {
  const fired = steps.filter((step) => step.outcome === 'fired').length;
  return html`<div class="outcomes" aria-live="polite">
    <h3>${heading}</h3>
    <p role="status">${fired} of ${steps.length} steps ${verb}.</p>
    <ol>
      ${steps.map(
        (step, index) => html`<li key=${index} class=${`outcome outcome-${step.outcome}`} data-step=${step.id}>
          <p><code class="step-id">${step.id || '(no id)'}</code> <${Badge} kind=${step.outcome} />${step.reason && html` <span class="reason-kind">${step.reason}</span>`}</p>
          ${step.detail && html`<p class="detail">${step.detail}</p>`}
          ${step.command &&
          html`<p>Command <code>${step.command.name}</code> to pack <code>${step.command.packName}</code>${Object.keys(step.command.packLabels || {}).length ? html` with labels <code>${JSON.stringify(step.command.packLabels)}</code>` : ''}; rendered input:</p>
            <${Json} value=${step.command.input} label=${`Rendered input of step ${step.id}`} />`}
          ${step.context && Object.keys(step.context).length > 0 &&
          html`<details><summary>Context</summary><${Json} value=${step.context} label=${`Context of step ${step.id}`} /></details>`}
        </li>`,
      )}
    </ol>
  </div>`;
}


