// What is alive and what happened lately: packs, the last hour's executions and actions, recent failures.
import { html } from './lib.js';
import { useApi } from './api.js';
import {
  LiveStatus, Loading, useRenderedMark, PackState, PageTitle, Problem, Time, executionOutcome, href, lastChange, packLive, reasonOf, short,
} from './ui.js';

const HOUR_MS = 3600 * 1000;
const SCANNED = 200; // the latest executions the overview reads (the audit's newest first)

export function summarize(executions, now = Date.now()) {
  const since = now - HOUR_MS;
  const outcomes = { succeeded: 0, running: 0, failed: 0 };
  const actions = { waiting: 0, inProgress: 0, failed: 0 };
  const failures = [];
  for (const execution of executions) {
    const recent = Date.parse(lastChange(execution)) >= since;
    if (recent) outcomes[executionOutcome(execution)] += 1;
    for (const [stepId, action] of Object.entries(execution.actions || {})) {
      if (action.state.value === 'NEW') actions.waiting += 1;
      if (action.state.value === 'PENDING') actions.inProgress += 1;
      if (action.state.value === 'FATAL') {
        if (Date.parse(action.state.time) >= since) actions.failed += 1;
        failures.push({
          time: action.state.time, execution, stepId, what: `${action.packName} · ${action.name}`, reason: reasonOf(action.result?.payload),
        });
      }
    }
    for (const failure of execution.stepFailures || []) {
      failures.push({
        time: failure.time, execution, stepId: failure.stepId, what: `template in ${failure.field}`, reason: failure.message,
      });
    }
  }
  failures.sort((a, b) => (a.time < b.time ? 1 : -1));
  return { outcomes, actions, failures: failures.slice(0, 10) };
}

function OutcomeBar({ outcomes }) {
  const total = outcomes.succeeded + outcomes.running + outcomes.failed;
  let x = 0;
  const parts = ['succeeded', 'running', 'failed'].map((kind) => {
    const width = total ? (outcomes[kind] / total) * 300 : 0;
    const part = html`<rect key=${kind} class=${`bar-${kind}`} x=${x} y="0" width=${width} height="14" />`;
    x += width;
    return part;
  });
  return html`<svg class="bar" viewBox="0 0 300 14" width="300" height="14" aria-hidden="true">
    <rect class="bar-empty" x="0" y="0" width="300" height="14" />${parts}
  </svg>`;
}

export function Overview() {
  const packs = useApi('v1/packs', { live: true });
  const audit = useApi(`v1/audit/flows?limit=${SCANNED}`, { live: true });
  const error = packs.error || audit.error;
  const summary = audit.data ? summarize(audit.data.flows) : null;
  const packList = packs.data ? packs.data.packs : null;
  useRenderedMark(Boolean(summary && packList));
  if (error && !summary && !packList) return html`<${PageTitle}>Overview<//><${Problem} error=${error} what="the overview" />`;
  return html`<${PageTitle}>Overview<//>
    <${LiveStatus} state=${audit} />
    ${error && html`<${Problem} error=${error} what="the overview" />`}
    <div class="cards">
      <section class="card" aria-labelledby="executions-title">
        <h2 id="executions-title">Executions in the last hour</h2>
        ${summary
          ? html`<dl class="figures" data-testid="outcomes">
                <div><dt>Succeeded</dt><dd>${summary.outcomes.succeeded}</dd></div>
                <div><dt>Running</dt><dd>${summary.outcomes.running}</dd></div>
                <div><dt>Failed</dt><dd>${summary.outcomes.failed}</dd></div>
              </dl>
              <${OutcomeBar} outcomes=${summary.outcomes} />`
          : !error && html`<${Loading} what="executions" />`}
      </section>
      <section class="card" aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        ${summary
          ? html`<dl class="figures" data-testid="actions">
              <div><dt>Waiting</dt><dd>${summary.actions.waiting}</dd></div>
              <div><dt>In progress</dt><dd>${summary.actions.inProgress}</dd></div>
              <div><dt>Failed (last hour)</dt><dd>${summary.actions.failed}</dd></div>
            </dl>
            <p class="hint">Across the latest ${SCANNED} executions.</p>`
          : !error && html`<${Loading} what="actions" />`}
      </section>
      <section class="card" aria-labelledby="packs-title">
        <h2 id="packs-title">Packs</h2>
        ${packList
          ? html`<p>${packList.filter(packLive).length} live, ${packList.filter((pack) => !packLive(pack)).length} dead.</p>`
          : !error && html`<${Loading} what="packs" />`}
      </section>
    </div>

    <section aria-labelledby="failures-title">
      <h2 id="failures-title">Recent failures</h2>
      ${summary &&
      (summary.failures.length
        ? html`<ul class="failures">
            ${summary.failures.map(
              (failure) => html`<li key=${`${failure.execution.correlationId}/${failure.stepId}/${failure.time}`}>
                <a href=${href('executions', failure.execution.correlationId)}>${failure.execution.name}</a>
                <span> step <code>${failure.stepId || '(no id)'}</code> (${failure.what}), <${Time} iso=${failure.time} relative=${true} />:</span>${' '}<span class="reason">${short(failure.reason)}</span>
              </li>`,
            )}
          </ul>`
        : html`<p>No failures among the latest executions.</p>`)}
    </section>

    <section aria-labelledby="pack-list-title">
      <h2 id="pack-list-title">Packs, live and dead</h2>
      ${packList &&
      (packList.length
        ? html`<div class="table-scroll"><table>
            <thead><tr><th scope="col">Pack</th><th scope="col">State</th><th scope="col">Last seen</th></tr></thead>
            <tbody>
              ${packList.map(
                (pack) => html`<tr key=${pack.id} data-pack=${pack.id}>
                  <td><a href=${href('packs', pack.id)}>${pack.id}</a></td>
                  <td><${PackState} pack=${pack} /></td>
                  <td><${Time} iso=${pack.lastSeen} relative=${true} /></td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
        : html`<p>No pack has registered yet.</p>`)}
    </section>`;
}

