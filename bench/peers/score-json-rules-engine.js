#!/usr/bin/env node
'use strict';
// The 33 kaohe scoring rules in json-rules-engine.
//
// Model, as a user of the library would write it:
//  * facts per community: `values` ({A01: x|null, ...}) and `status`
//    ({A01: 'ok'|...}), plus `score`, a per-run accumulator {points, total}.
//  * one rule per indicator (priority 2): conditions status.$.ID == 'ok' and
//    values.$.ID != null; its event {type: 'points', params: {id, fn, from,
//    to | target, max}} carries the scoring function. The engine's 'points'
//    event handler turns those params into points (LIN / RATIO, clamped) and
//    adds them to the accumulator. An indicator whose rule does not fire keeps
//    0 points.
//  * four star rules (priority 1, so they run after every indicator rule):
//    score.$.total >= 90 - 1e-9 and values.$.F01 >= 0.90 - 1e-9 -> 5 stars;
//    total >= 80 - 1e-9 -> 4; >= 70 - 1e-9 -> 3; >= 60 - 1e-9 -> 2. The
//    community gets the most stars among the star events that fired, else 0.
// One engine, built once, runs each community with engine.run(facts).

const path = require('path');
const { Engine } = require('json-rules-engine');
const { main, packageVersion } = require(path.join(__dirname, 'common.js'));
const { indicators, EPSILON, STARS } = require(path.join(__dirname, 'rules.js'));

function fraction(p, x) {
  const f = p.fn === 'lin' ? (x - p.from) / (p.to - p.from) : x / p.target;
  if (!(f > 0)) return 0;
  return f < 1 ? f : 1;
}

// Engine option `pathResolver` (documented in json-rules-engine's rules.md):
// 'jsonpath' keeps the library default (jsonpath-plus); 'simple' resolves the
// '$.ID' paths used here by plain property access, as the docs suggest for speed.
function simplePathResolver(object, path) {
  let value = object;
  for (const key of path.replace(/^\$\.?/, '').split('.')) {
    if (key === '') continue;
    if (value === null || value === undefined) return undefined;
    value = value[key];
  }
  return value;
}

function build(a03Target, extra) {
  const list = indicators(a03Target);
  const engineOptions = { allowUndefinedFacts: false };
  if (extra['--path-resolver'] === 'simple') engineOptions.pathResolver = simplePathResolver;
  const engine = new Engine([], engineOptions);

  for (const ind of list) {
    engine.addRule({
      name: `indicator ${ind.id}`,
      priority: 2,
      conditions: {
        all: [
          { fact: 'status', path: `$.${ind.id}`, operator: 'equal', value: 'ok' },
          { fact: 'values', path: `$.${ind.id}`, operator: 'notEqual', value: null },
        ],
      },
      event: { type: 'points', params: ind },
    });
  }

  for (const line of STARS) {
    const all = [{ fact: 'score', path: '$.total', operator: 'greaterThanInclusive', value: line.total - EPSILON }];
    if (line.f01 !== undefined) {
      all.push({ fact: 'values', path: '$.F01', operator: 'greaterThanInclusive', value: line.f01 - EPSILON });
    }
    engine.addRule({
      name: `${line.stars} stars`,
      priority: 1,
      conditions: { all },
      event: { type: 'stars', params: { stars: line.stars } },
    });
  }

  engine.on('points', async (params, almanac) => {
    const values = await almanac.factValue('values');
    const score = await almanac.factValue('score');
    const points = fraction(params, values[params.id]) * params.max;
    score.points[params.id] = points;
    score.total += points;
  });

  const zeros = {};
  for (const ind of list) zeros[ind.id] = 0;

  return async (community) => {
    const score = { points: { ...zeros }, total: 0 };
    const { events } = await engine.run({ values: community.values, status: community.status, score });
    let stars = 0;
    for (const e of events) if (e.type === 'stars' && e.params.stars > stars) stars = e.params.stars;
    return { points: score.points, total: score.total, stars };
  };
}

main({
  engine: 'json-rules-engine',
  version: packageVersion('json-rules-engine'),
  build,
  ids: indicators(null).map((i) => i.id),
  options: { '--path-resolver': { choices: ['jsonpath', 'simple'], default: 'jsonpath' } },
  variant: (extra) => (extra['--path-resolver'] === 'simple'
    ? 'pathResolver: property access' : 'pathResolver: default (jsonpath-plus)'),
});
