#!/usr/bin/env node
'use strict';
// The 33 kaohe scoring rules in @gorules/zen-engine (GoRules JSON Decision Model).
//
// Model (one JDM graph, built once, evaluated once per community):
//   request (inputNode) {values, status}
//     -> "points" (expressionNode, passThrough): one expression per indicator,
//          points.ID = status.ID == "ok" and values.ID != null
//                      ? MAX * max([0, min([1, (values.ID - FROM) / (TO - FROM)])])   (LIN)
//                      ? MAX * max([0, min([1, values.ID / TARGET])])                 (RATIO)
//                      : 0
//     -> "total" (expressionNode, passThrough): total = sum([points.A01, ..., points.F03]),
//          f01 = values.F01 ?? 0
//     -> "stars" (decisionTableNode, hit policy "first", passThrough):
//          total >= 90 - 1e-9 and f01 >= 0.90 - 1e-9 -> 5; total >= 80 - 1e-9 -> 4;
//          >= 70 - 1e-9 -> 3; >= 60 - 1e-9 -> 2; otherwise 0
//     -> response (outputNode) {points, total, stars, ...}
// Note: ZEN's expression language computes in decimal (rust_decimal), not in
// binary doubles, so its points differ from kaohe's in the last digits.
//
// --mode graph (default) evaluates the graph above; concurrency (--concurrency K)
// keeps K evaluations in flight, since ZenDecision.evaluate is asynchronous.

const path = require('path');
const { ZenEngine } = require('@gorules/zen-engine');
const { main, packageVersion } = require(path.join(__dirname, 'common.js'));
const { indicators, EPSILON, STARS } = require(path.join(__dirname, 'rules.js'));

// Numbers go into expressions as JavaScript prints them (shortest round-trip).
const num = (x) => {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return String(x);
};

function pointsExpression(ind) {
  const x = `values.${ind.id}`;
  const f = ind.fn === 'lin'
    ? `(${x} - ${num(ind.from)}) / (${num(ind.to)} - ${num(ind.from)})`
    : `${x} / ${num(ind.target)}`;
  return `status.${ind.id} == "ok" and ${x} != null ? ${num(ind.max)} * max([0, min([1, ${f}])]) : 0`;
}

function decisionModel(a03Target) {
  const list = indicators(a03Target);
  const node = (id, type, name, content) => ({ id, type, name, position: { x: 0, y: 0 }, ...(content ? { content } : {}) });
  const edge = (id, sourceId, targetId) => ({ id, sourceId, targetId, type: 'edge' });

  const pointsNode = node('points', 'expressionNode', 'points', {
    passThrough: true,
    inputField: null,
    outputPath: null,
    expressions: list.map((ind) => ({ id: `p-${ind.id}`, key: `points.${ind.id}`, value: pointsExpression(ind) })),
  });

  const totalNode = node('total', 'expressionNode', 'total', {
    passThrough: true,
    inputField: null,
    outputPath: null,
    expressions: [
      { id: 't-total', key: 'total', value: `sum([${list.map((ind) => `points.${ind.id}`).join(', ')}])` },
      { id: 't-f01', key: 'f01', value: 'values.F01 ?? 0' },
    ],
  });

  const rules = STARS.map((line, i) => ({
    _id: `star-${i}`,
    _description: `${line.stars} stars`,
    'in-total': `>= ${num(line.total - EPSILON)}`,
    'in-f01': line.f01 === undefined ? '' : `>= ${num(line.f01 - EPSILON)}`,
    'out-stars': num(line.stars),
  }));
  rules.push({ _id: 'star-none', _description: 'not rated', 'in-total': '', 'in-f01': '', 'out-stars': '0' });

  const starsNode = node('stars', 'decisionTableNode', 'stars', {
    hitPolicy: 'first',
    passThrough: true,
    inputField: null,
    outputPath: null,
    inputs: [
      { id: 'in-total', name: 'Total', field: 'total' },
      { id: 'in-f01', name: 'F01 value', field: 'f01' },
    ],
    outputs: [{ id: 'out-stars', name: 'Stars', field: 'stars' }],
    rules,
  });

  return {
    contentType: 'application/vnd.gorules.decision',
    nodes: [
      node('request', 'inputNode', 'request'),
      pointsNode,
      totalNode,
      starsNode,
      node('response', 'outputNode', 'response'),
    ],
    edges: [
      edge('e1', 'request', 'points'),
      edge('e2', 'points', 'total'),
      edge('e3', 'total', 'stars'),
      edge('e4', 'stars', 'response'),
    ],
  };
}

async function build(a03Target) {
  const engine = new ZenEngine();
  const decision = engine.createDecision(decisionModel(a03Target));
  decision.validate();
  return async (community) => {
    const { result } = await decision.evaluate({ values: community.values, status: community.status });
    return result;
  };
}

if (require.main === module && process.argv[2] === '--print-model') {
  process.stdout.write(JSON.stringify(decisionModel(Number(process.argv[3] || 0.8666666666666667)), null, 2) + '\n');
} else {
  main({
    engine: '@gorules/zen-engine',
    version: packageVersion('@gorules/zen-engine'),
    build,
    ids: indicators(null).map((i) => i.id),
    variant: (extra, opts) => (opts.concurrency > 1
      ? `JDM graph, ${opts.concurrency} evaluations in flight` : 'JDM graph, one evaluation at a time'),
  });
}
