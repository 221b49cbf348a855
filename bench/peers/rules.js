'use strict';
// The 33 scoring rules of kaohe's default policy (POLICY.md §1, indicators/*.lua)
// as plain data, shared by both peer engines. Each engine script turns this
// table into rules in its own format; nothing here computes a score.
//
//   lin:   f = clamp((x - from) / (to - from), 0, 1)   (from > to rewards small x)
//   ratio: f = clamp(x / target, 0, 1)
//   points = f * max; an indicator whose status is not 'ok' gets 0 points.
//
// A03's target is the year's required certificate ratio; it comes with the
// data (a03_target, exported from the run's cert.milestones), so it is null here.

const INDICATORS = [
  ['A01', 'lin', 10, 17, 3],
  ['A02', 'lin', 450, 300, 3],
  ['A03', 'ratio', null, null, 4],
  ['A04', 'lin', 0.60, 0.85, 2],
  ['A05', 'lin', 0, 1, 3],
  ['A06', 'lin', 5, 10, 3],
  ['A07', 'lin', 0.05, 0.15, 2],
  ['B01', 'lin', 10, 0, 4],
  ['B02', 'lin', 0.5, 1.0, 2],
  ['B03', 'lin', 0.30, 0.60, 3],
  ['B04', 'lin', 4, 12, 3],
  ['B05', 'lin', 0.70, 0.95, 4],
  ['B06', 'lin', 6, 2, 2],
  ['B07', 'lin', 5, 0, 2],
  ['C01', 'lin', 15, 30, 3],
  ['C02', 'ratio', 28, null, 3],
  ['C03', 'lin', 0.80, 0.95, 3],
  ['C04', 'ratio', 24, null, 2],
  ['C05', 'ratio', 8, null, 3],
  ['C06', 'lin', 0.5, 1.0, 3],
  ['C07', 'ratio', 2, null, 3],
  ['D01', 'ratio', 1.0, null, 3],
  ['D02', 'lin', 0.80, 0.95, 3],
  ['D03', 'lin', 0.60, 0.90, 2],
  ['D04', 'lin', 0.85, 0.98, 2],
  ['D05', 'lin', 5, 0, 2],
  ['E01', 'ratio', 30, null, 3],
  ['E02', 'ratio', 2, null, 2],
  ['E03', 'ratio', 12, null, 2],
  ['E04', 'lin', 0.1, 0.5, 3],
  ['F01', 'lin', 0.75, 0.95, 10],
  ['F02', 'lin', 0.80, 1.0, 4],
  ['F03', 'lin', 10, 2, 4],
];

// Build the indicator list for one data set: A03 gets that year's target.
function indicators(a03Target) {
  return INDICATORS.map(([id, fn, a, b, max]) =>
    fn === 'lin'
      ? { id, fn, from: a, to: b, max }
      : { id, fn, target: id === 'A03' ? a03Target : a, max });
}

// Stars (POLICY.md §1, comparisons with epsilon 1e-9): the first line met wins.
const EPSILON = 1e-9;
const STARS = [
  { stars: 5, total: 90, f01: 0.90 },
  { stars: 4, total: 80 },
  { stars: 3, total: 70 },
  { stars: 2, total: 60 },
];

module.exports = { INDICATORS, indicators, EPSILON, STARS };
