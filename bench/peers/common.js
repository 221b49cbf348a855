'use strict';
// Shared harness of the peer benchmarks: load the exported values, replicate
// them to the requested number of community records, warm up, time the
// scoring loop only, then check every score against kaohe's own.
//
// usage: node score-ENGINE.js VALUES.json [--records N] [--min-seconds S]
//                             [--warmup N] [--concurrency K] [--verbose]

const fs = require('fs');
const os = require('os');
const path = require('path');

const TOLERANCE = 1e-6;

function parseArgs(argv, extra) {
  const opts = { records: 100000, minSeconds: 2, warmup: 2000, concurrency: 1, verbose: false, file: null, extra: {} };
  for (const [name, spec] of Object.entries(extra)) opts.extra[name] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--records') opts.records = positiveInt(next(), a);
    else if (a === '--min-seconds') opts.minSeconds = Number(next());
    else if (a === '--warmup') opts.warmup = positiveInt(next(), a, true);
    else if (a === '--concurrency') opts.concurrency = positiveInt(next(), a);
    else if (a === '--verbose' || a === '-v') opts.verbose = true;
    else if (Object.hasOwn(extra, a)) {
      const v = next();
      if (!extra[a].choices.includes(v)) usage(`${a} must be one of ${extra[a].choices.join(', ')}`);
      opts.extra[a] = v;
    } else if (a === '-h' || a === '--help') usage(null);
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (opts.file === null) opts.file = a;
    else usage(`unexpected argument ${a}`);
  }
  if (opts.file === null) usage('VALUES.json is required');
  if (!(opts.minSeconds >= 0)) usage('--min-seconds must be a number >= 0');
  return opts;
}

function positiveInt(s, name, zeroOk = false) {
  const n = Number(s);
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1)) usage(`${name} must be an integer >= ${zeroOk ? 0 : 1}`);
  return n;
}

function usage(msg) {
  const me = path.basename(process.argv[1] || 'score.js');
  if (msg) process.stderr.write(`${me}: ${msg}\n`);
  process.stderr.write(`usage: node ${me} VALUES.json [--records N] [--min-seconds S] [--warmup N] [--concurrency K] [--verbose] [engine options]\n`);
  process.exit(msg ? 2 : 0);
}

function loadValues(file) {
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(data) || data.length === 0) throw new Error(`${file}: expected a non-empty array of communities`);
  const targets = new Set(data.map((c) => c.a03_target));
  if (targets.size !== 1) throw new Error(`${file}: records disagree on a03_target (${[...targets].join(', ')})`);
  return { communities: data, a03Target: data[0].a03_target };
}

// Score records[0..n) with at most `concurrency` evaluations in flight;
// results[i] receives the score of records[i].
async function scoreAll(score, records, results, concurrency) {
  const n = records.length;
  if (concurrency <= 1) {
    for (let i = 0; i < n; i++) results[i] = await score(records[i]);
    return;
  }
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < n; i = next++) results[i] = await score(records[i]);
  };
  const lanes = [];
  for (let k = 0; k < concurrency; k++) lanes.push(lane());
  await Promise.all(lanes);
}

function differs(a, b) {
  return typeof a !== 'number' || !Number.isFinite(a) || Math.abs(a - b) > TOLERANCE;
}

// Compare one engine result {points: {ID: p}, total, stars} with kaohe's.
function mismatchesOf(community, result, ids) {
  const out = [];
  const k = community.kaohe;
  for (const id of ids) {
    const got = result.points[id];
    if (differs(got, k.points[id])) out.push(`${id}: ${got} != kaohe ${k.points[id]}`);
  }
  if (differs(result.total, k.total)) out.push(`total: ${result.total} != kaohe ${k.total}`);
  if (result.stars !== k.stars) out.push(`stars: ${result.stars} != kaohe ${k.stars}`);
  return out;
}

// engine: name shown in the output line; version: the package version;
// build(a03Target, extra): returns an async function community -> {points, total, stars};
// options: engine-specific options {'--name': {choices, default}}, passed to build
// and to variant(extra), which names the variant in the output line.
async function runBenchmark({ engine, version, build, ids, options = {}, variant }) {
  const opts = parseArgs(process.argv.slice(2), options);
  const { communities, a03Target } = loadValues(opts.file);
  const distinct = communities.length;
  const score = await build(a03Target, opts.extra);
  // Every distinct community is scored (and checked) at least once per pass.
  if (opts.records < distinct) opts.records = distinct;

  const records = new Array(opts.records);
  for (let i = 0; i < opts.records; i++) records[i] = communities[i % distinct];
  const results = new Array(opts.records);

  // Warm-up: the first pass over the records (at least opts.warmup of them).
  const warm = Math.min(opts.records, Math.max(opts.warmup, distinct));
  await scoreAll(score, records.slice(0, warm), new Array(warm), opts.concurrency);

  // Measurement: whole passes over every record until minSeconds have passed.
  let passes = 0;
  let elapsed = 0n;
  const wanted = BigInt(Math.round(opts.minSeconds * 1e9));
  do {
    const t0 = process.hrtime.bigint();
    await scoreAll(score, records, results, opts.concurrency);
    elapsed += process.hrtime.bigint() - t0;
    passes++;
  } while (elapsed < wanted);
  const seconds = Number(elapsed) / 1e9;
  const scored = passes * opts.records;

  // Check the last pass: every record against kaohe; count distinct communities.
  const bad = new Map();
  for (let i = 0; i < opts.records; i++) {
    const c = records[i];
    if (bad.has(c.community_id)) continue;
    const m = mismatchesOf(c, results[i], ids);
    if (m.length) bad.set(c.community_id, m);
  }
  let shown = 0;
  for (const [id, m] of bad) {
    if (!opts.verbose && shown >= 10) {
      process.stderr.write(`${engine}: ... and ${bad.size - shown} more mismatching communities (--verbose shows all)\n`);
      break;
    }
    process.stderr.write(`${engine}: community ${id}: ${m.join('; ')}\n`);
    shown++;
  }

  const line = {
    engine,
    version,
    variant: variant ? variant(opts.extra, opts) : undefined,
    communities: scored,
    seconds: Number(seconds.toFixed(6)),
    communities_per_second: Math.round(scored / seconds),
    mismatches: bad.size,
    distinct_communities: distinct,
    records_per_pass: opts.records,
    passes,
    concurrency: opts.concurrency,
    node: process.version,
    loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
  return bad.size;
}

function packageVersion(name) {
  return require(`${name}/package.json`).version;
}

function main(spec) {
  runBenchmark(spec).then(
    (bad) => { process.exitCode = bad ? 1 : 0; },
    (err) => { process.stderr.write(`${spec.engine}: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 3; });
}

module.exports = { main, packageVersion, TOLERANCE };
