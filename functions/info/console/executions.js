// Executions: the audit list with the API's filters; one execution as a timeline and as its flow's graph.
import { html, useMemo, useState } from './lib.js';
import { path, query as toQuery, useApi } from './api.js';
import { FlowGraph } from './graph.js';
import { Legend } from './flows.js';
import {
  Badge, Json, LiveStatus, useRenderedMark, Loading, PageTitle, Problem, Time, executionOutcome, firstChange, href, hrefWithQuery, lastChange, reasonOf, short,
} from './ui.js';

const FILTERS = [
  ['flowName', 'Flow name'],
  ['stepId', 'Step id'],
  ['actionName', 'Command (action name)'],
  ['actionPackName', 'Pack name'],
  ['actionPackLabels', 'Pack labels (k:v,k2:v2)'],
];

export function ExecutionTable({ executions, empty }) {
  if (!executions.length) return html`<p>${empty}</p>`;
  return html`<div class="table-scroll"><table class="executions">
    <thead><tr><th scope="col">Execution</th><th scope="col">Flow</th><th scope="col">Outcome</th><th scope="col">Steps run</th><th scope="col">Last change</th></tr></thead>
    <tbody>
      ${executions.map((execution) => {
        const outcome = executionOutcome(execution);
        return html`<tr key=${execution.correlationId} data-execution=${execution.correlationId}>
          <td><a href=${href('executions', execution.correlationId)}><code>${execution.correlationId}</code></a></td>
          <td><a href=${href('flows', execution.name)}>${execution.name}</a></td>
          <td><${Badge} kind=${outcome} /></td>
          <td>${Object.keys(execution.actions || {}).length}${(execution.stepFailures || []).length ? ` (+${execution.stepFailures.length} failed)` : ''}</td>
          <td><${Time} iso=${lastChange(execution)} relative=${true} /></td>
        </tr>`;
      })}
    </tbody>
  </table></div>`;
}

export function ExecutionList({ query }) {
  const params = Object.fromEntries(FILTERS.map(([name]) => [name, query.get(name) || '']));
  const start = Number(query.get('start') || 0);
  const limit = Number(query.get('limit') || 50);
  const where = `v1/audit/flows${toQuery({ ...params, start: start || '', limit })}`;
  const executions = useApi(where);
  const [draft, setDraft] = useState(params);
  const apply = (event) => {
    event.preventDefault();
    location.hash = hrefWithQuery('#/executions', { ...draft, limit: limit === 50 ? '' : String(limit) });
  };
  const next = executions.data?.links?.find((link) => link.rel === 'next');
  const page = (from) => hrefWithQuery('#/executions', { ...params, start: from ? String(from) : '', limit: limit === 50 ? '' : String(limit) });
  return html`<${PageTitle}>Executions<//>
    <form class="filters" onSubmit=${apply} aria-label="Filter executions">
      ${FILTERS.map(
        ([name, text]) => html`<div class="field" key=${name}>
          <label for=${`filter-${name}`}>${text}</label>
          <input id=${`filter-${name}`} name=${name} value=${draft[name]} onInput=${(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} />
        </div>`,
      )}
      <div class="field actions"><button type="submit">Filter</button> <a href="#/executions">Clear</a></div>
    </form>
    ${executions.error && html`<${Problem} error=${executions.error} what="the executions" />`}
    ${executions.loading && !executions.data && html`<${Loading} what="executions" />`}
    ${executions.data && html`<${ExecutionTable} executions=${executions.data.flows} empty="No execution matches." />`}
    <nav class="pager" aria-label="Pages of executions">
      ${start > 0 && html`<a href=${page(Math.max(0, start - limit))}>Newer</a>`}
      ${(next || (executions.data && executions.data.flows.length === limit)) &&
      html`<a href=${page(next ? Number(new URL(next.href).searchParams.get('start')) : start + limit)}>Older</a>`}
    </nav>`;
}

/** Every state change of every action, and every step failure, in time order. */
function timeline(execution) {
  const entries = [];
  for (const [stepId, action] of Object.entries(execution.actions || {})) {
    (action.states || []).forEach((state, index) => entries.push({ time: state.time, stepId, action, state, first: index === 0 }));
  }
  for (const failure of execution.stepFailures || []) entries.push({ time: failure.time, stepId: failure.stepId, failure });
  return entries.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

const TERMINAL = new Set(['SUCCESS', 'FATAL', 'FAILED']);

/** The states of one action over the execution's span, as a bar (the table beside it says the same in words). */
function StateBar({ action, from, to }) {
  const span = Math.max(1, to - from);
  const states = action.states || [];
  const x = (iso) => ((Date.parse(iso) - from) / span) * 200;
  return html`<svg class="state-bar" width="200" height="12" viewBox="0 0 200 12" aria-hidden="true">
    <rect class="bar-empty" x="0" y="0" width="200" height="12" />
    ${states.map((state, index) => {
      const start = x(state.time);
      const end = index + 1 < states.length ? x(states[index + 1].time) : TERMINAL.has(state.value) ? start + 3 : 200;
      return html`<rect key=${index} class=${`seg state-${state.value.toLowerCase()}`} x=${start} y="0" width=${Math.max(3, end - start)} height="12" />`;
    })}
  </svg>`;
}

const byWhom = (state) => {
  const who = state.by && state.by.sub && state.by.sub !== 'anonymous' ? state.by.sub : '';
  if (state.packId) return ` by pack ${state.packId}${who ? ` (${who})` : ''}`;
  // an answer to an approval in chat (issue 27): a refused one says why it counts for nothing
  const why = state.reason ? ` (${state.answer || 'answer'} not counted: ${state.reason})` : '';
  return (who ? ` by ${who}` : '') + why;
};

export function ExecutionPage({ id }) {
  const execution = useApi(path`v1/audit/flows/${id}`, { live: true });
  const data = execution.data;
  const marks = useMemo(() => {
    if (!data) return null;
    const marked = new Map();
    data.steps.forEach((step, index) => {
      const action = data.actions[step.id || ''];
      const failure = (data.stepFailures || []).find((f) => f.stepId === (step.id || ''));
      if (action) marked.set(index, { state: action.state.value, label: `${action.state.value.toLowerCase()} · ${new Date(action.state.time).toLocaleTimeString()}` });
      else if (failure) marked.set(index, { state: 'failed', label: `template failed: ${failure.field}` });
    });
    return marked;
  }, [data]);
  const entries = useMemo(() => (data ? timeline(data) : []), [data]);
  useRenderedMark(Boolean(data));
  const from = data ? Date.parse(firstChange(data)) : 0;
  const outcome = data ? executionOutcome(data) : null;
  const to = data ? (outcome === 'running' ? Math.max(Date.now(), Date.parse(lastChange(data))) : Date.parse(lastChange(data))) : 0;
  const began = (action) => (action.states && action.states[0] ? action.states[0].time : action.state.time);
  const actions = data ? Object.entries(data.actions).sort((a, b) => (began(a[1]) < began(b[1]) ? -1 : 1)) : [];
  return html`<${PageTitle} title=${`Execution ${id}`}>Execution <code class="name">${id}</code><//>
    <${LiveStatus} state=${execution} />
    ${execution.error && html`<${Problem} error=${execution.error} what=${`execution ${id}`} />`}
    ${execution.loading && !data && html`<${Loading} what="the execution" />`}
    ${data &&
    html`<p class="meta">Flow <a href=${href('flows', data.name)}>${data.name}</a> (version <code>${data.uuid}</code>),${' '}<${Badge} kind=${outcome} />: ${Object.keys(data.actions).length} of ${data.steps.length} steps ran${(data.stepFailures || []).length ? `, ${data.stepFailures.length} failed to render` : ''}, from <${Time} iso=${firstChange(data)} /> to <${Time} iso=${lastChange(data)} />.</p>
      <section aria-labelledby="steps-title">
        <h2 id="steps-title">Steps that ran</h2>
        <${FlowGraph} steps=${data.steps} marks=${marks} label=${`Steps of flow ${data.name} in execution ${id}`} />
        <${Legend} kinds=${['SUCCESS', 'PENDING', 'NEW', 'FATAL', 'failed', 'idle']} />
      </section>
      <section aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        <div class="table-scroll"><table class="actions">
          <thead><tr><th scope="col">Step</th><th scope="col">Command</th><th scope="col">State</th><th scope="col">Over time</th><th scope="col">States</th><th scope="col">Result</th></tr></thead>
          <tbody>
            ${actions.map(
              ([stepId, action]) => html`<tr key=${stepId} data-step=${stepId}>
                <th scope="row"><code>${stepId || '(no id)'}</code></th>
                <td>${action.packName} · ${action.name}</td>
                <td><${Badge} kind=${action.state.value} /></td>
                <td><${StateBar} action=${action} from=${from} to=${to} /></td>
                <td><ol class="states">${(action.states || []).map((state, index) => html`<li key=${index}>${state.value} <${Time} iso=${state.time} precise=${true} />${byWhom(state)}</li>`)}</ol></td>
                <td>${action.result
                  ? html`<details><summary><code>${action.result.event}</code>${action.state.value === 'FATAL' ? `: ${short(reasonOf(action.result.payload), 80)}` : ''}</summary><${Json} value=${action.result.payload} label=${`Result of step ${stepId}`} /></details>`
                  : '—'}</td>
              </tr>`,
            )}
          </tbody>
        </table></div>
      </section>
      ${(data.stepFailures || []).length > 0 &&
      html`<section aria-labelledby="failures-title">
        <h2 id="failures-title">Step failures</h2>
        <ul class="failures">${data.stepFailures.map(
          (failure, index) => html`<li key=${index}><code>${failure.stepId || '(no id)'}</code>, <${Time} iso=${failure.time} />: ${failure.field}: <span class="reason">${failure.message}</span></li>`,
        )}</ul>
      </section>`}
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <ol class="timeline">
          ${entries.map(
            (entry, index) => html`<li key=${index}>
              <${Time} iso=${entry.time} precise=${true} />
              ${entry.failure
                ? html` step <code>${entry.stepId || '(no id)'}</code> <${Badge} kind="failed" /> ${entry.failure.message}`
                : html` step <code>${entry.stepId || '(no id)'}</code> ${entry.first ? html`created action <code>${entry.action.name}</code> for pack <code>${entry.action.packName}</code>: ` : ''}<${Badge} kind=${entry.state.value} />${byWhom(entry.state)}${
                    TERMINAL.has(entry.state.value) && entry.action.result ? html` with result <code>${entry.action.result.event}</code>` : ''}`}
            </li>`,
          )}
        </ol>
      </section>
      <section aria-labelledby="trigger-title">
        <h2 id="trigger-title">What started it</h2>
        ${actions.length
          ? html`<p>Event <code>${actions[0][1].trigger.event}</code> from pack <code>${actions[0][1].trigger.pack?.id}</code>, <${Time} iso=${actions[0][1].trigger.receivedAt} />.</p>
              <${Json} value=${actions[0][1].trigger.payload} label="Payload of the event that started the execution" />`
          : html`<p>No action yet.</p>`}
      </section>`}`;
}
