// A flow's steps as a picture, drawn as SVG here (no graph library, nothing evaluated): the events
// that start the flow on top, then each step in the layer below the deepest step it depends on,
// ordered within a layer to follow its parents; dependsOn and trigger edges as curves.
import { html, useMemo } from './lib.js';

const STEP_W = 236;
const STEP_H = 78;
const EVENT_H = 34;
const GAP_X = 28;
const GAP_Y = 54;
const PAD = 16;
const CHARS = 33; // what fits a node's width at the stylesheet's font size

const clip = (text, size = CHARS) => (text.length > size ? `${text.slice(0, size - 1)}…` : text);
const pair = (pack, name) => `${pack || '?'} · ${name || '?'}`;
const stepLabel = (step, index) => (step.id ? step.id : `step ${index + 1} (no id)`);

/** Where each node goes: pure, so that a 50-step flow is laid out once per flow, not per render. */
export function layout(steps) {
  const indexesById = new Map();
  steps.forEach((step, index) => {
    const id = step.id || '';
    if (!indexesById.has(id)) indexesById.set(id, []);
    indexesById.get(id).push(index);
  });
  const parents = steps.map((step) => (step.dependsOn || []).flatMap((id) => indexesById.get(id) || []));
  // Layers: a step sits one below the deepest step it depends on (a cycle is cut where it closes).
  const depth = new Array(steps.length).fill(0);
  const visiting = new Set();
  const depthOf = (index) => {
    if (depth[index]) return depth[index];
    if (visiting.has(index)) return 0;
    visiting.add(index);
    const above = parents[index].map(depthOf);
    visiting.delete(index);
    depth[index] = 1 + Math.max(0, ...above);
    return depth[index];
  };
  steps.forEach((_, index) => depthOf(index));

  const nodes = [];
  const events = new Map();
  steps.forEach((step, index) => {
    if ((step.dependsOn || []).length) return;
    const key = `event:${step.event?.packName}\u0000${step.event?.name}`;
    if (!events.has(key)) {
      events.set(key, { key, kind: 'event', layer: 0, order: events.size, text: pair(step.event?.packName, step.event?.name) });
    }
  });
  nodes.push(...events.values());
  steps.forEach((step, index) => {
    nodes.push({
      key: `step:${index}`,
      kind: 'step',
      index,
      layer: depth[index],
      order: index,
      id: stepLabel(step, index),
      on: `on ${pair(step.event?.packName, step.event?.name)}`,
      runs: `runs ${pair(step.command?.packName, step.command?.name)}`,
    });
  });
  const edges = [];
  steps.forEach((step, index) => {
    if ((step.dependsOn || []).length) parents[index].forEach((parent) => edges.push({ from: `step:${parent}`, to: `step:${index}` }));
    else edges.push({ from: `event:${step.event?.packName}\u0000${step.event?.name}`, to: `step:${index}`, trigger: true });
  });

  // Order within each layer by the mean position of a node's parents (two sweeps), document order on ties.
  const layers = [];
  for (const node of nodes) (layers[node.layer] ||= []).push(node);
  const byKey = new Map(nodes.map((node) => [node.key, node]));
  const incoming = new Map(nodes.map((node) => [node.key, []]));
  for (const edge of edges) incoming.get(edge.to).push(byKey.get(edge.from));
  layers.forEach((layer) => layer?.forEach((node, position) => (node.position = position)));
  for (let sweep = 0; sweep < 2; sweep += 1) {
    for (const layer of layers.slice(1)) {
      if (!layer) continue;
      for (const node of layer) {
        const above = incoming.get(node.key).filter((parent) => parent.layer < node.layer);
        node.weight = above.length ? above.reduce((sum, parent) => sum + parent.position, 0) / above.length : node.order;
      }
      layer.sort((a, b) => a.weight - b.weight || a.order - b.order);
      layer.forEach((node, position) => (node.position = position));
    }
  }

  const widest = Math.max(1, ...layers.map((layer) => (layer ? layer.length : 0)));
  const width = PAD * 2 + widest * STEP_W + (widest - 1) * GAP_X;
  let y = PAD;
  layers.forEach((layer, number) => {
    if (!layer) return;
    const height = number === 0 ? EVENT_H : STEP_H;
    const row = layer.length * STEP_W + (layer.length - 1) * GAP_X;
    let x = (width - row) / 2;
    for (const node of layer) {
      Object.assign(node, { x, y, w: STEP_W, h: height });
      x += STEP_W + GAP_X;
    }
    y += height + GAP_Y;
  });
  const height = y - GAP_Y + PAD;
  for (const edge of edges) {
    const from = byKey.get(edge.from);
    const to = byKey.get(edge.to);
    edge.key = `${edge.from}>${edge.to}`;
    if (to.layer > from.layer) {
      const x1 = from.x + from.w / 2;
      const y1 = from.y + from.h;
      const x2 = to.x + to.w / 2;
      const y2 = to.y;
      const bend = (y2 - y1) / 2;
      edge.d = `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
    } else {
      // back to a layer above (a dependsOn cycle): around the right-hand side
      const x1 = from.x + from.w;
      const y1 = from.y + from.h / 2;
      const x2 = to.x + to.w;
      const y2 = to.y + to.h / 2;
      const out = Math.max(x1, x2) + GAP_X;
      edge.d = `M${x1},${y1} C${out},${y1} ${out},${y2} ${x2},${y2}`;
      edge.back = true;
    }
  }
  return { nodes, edges, width, height };
}

/**
 * The graph of `steps`. `marks` (optional) maps a step's index to {state, label}: the state picks the
 * node's colour (fired, skipped, SUCCESS, FATAL, PENDING, NEW, failed, idle), the label is written in it.
 */
export function FlowGraph({ steps, marks, label }) {
  const drawn = useMemo(() => layout(steps), [steps]);
  const described = `${label}: ${steps.length} step${steps.length === 1 ? '' : 's'}`;
  return html`<div class="graph-scroll" tabindex="0" role="region" aria-label=${`${label} (scrolls)`}>
    <svg class="graph" width=${drawn.width} height=${drawn.height} viewBox=${`0 0 ${drawn.width} ${drawn.height}`} role="img" aria-label=${described}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
        </marker>
      </defs>
      ${drawn.edges.map((edge) => html`<path key=${edge.key} d=${edge.d} class=${`edge${edge.trigger ? ' edge-trigger' : ''}${edge.back ? ' edge-back' : ''}`} marker-end="url(#arrow)" />`)}
      ${drawn.nodes.map((node) => (node.kind === 'event' ? EventNode(node) : StepNode(node, marks ? marks.get(node.index) : null, Boolean(marks))))}
    </svg>
  </div>`;
}

function EventNode(node) {
  return html`<g key=${node.key} class="node node-event">
    <title>${`event ${node.text} starts the flow`}</title>
    <rect x=${node.x} y=${node.y} width=${node.w} height=${node.h} rx=${node.h / 2} />
    <text x=${node.x + node.w / 2} y=${node.y + node.h / 2 + 4} text-anchor="middle">${clip(`⚡ ${node.text}`)}</text>
  </g>`;
}

function StepNode(node, mark, marking) {
  const state = mark ? mark.state : marking ? 'idle' : 'plain';
  const x = node.x + 10;
  return html`<g key=${node.key} class=${`node node-step state-${String(state).toLowerCase()}`} data-step=${node.id}>
    <title>${[node.id, node.on, node.runs, mark?.label].filter(Boolean).join('\n')}</title>
    <rect x=${node.x} y=${node.y} width=${node.w} height=${node.h} rx="6" />
    <text x=${x} y=${node.y + 18} class="node-id">${clip(node.id)}</text>
    <text x=${x} y=${node.y + 35}>${clip(node.on)}</text>
    <text x=${x} y=${node.y + 51}>${clip(node.runs)}</text>
    ${mark && html`<text x=${x} y=${node.y + 68} class="node-mark">${clip(mark.label)}</text>`}
  </g>`;
}
