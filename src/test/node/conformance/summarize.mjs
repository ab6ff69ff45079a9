// Reads the per-scenario results that `conformance server -o DIR` wrote for each target, writes
// target/conformance/results.tsv and results.json, prints one line per target and a final
// "conformance: N passed, M failed" line, and exits 1 when a scenario that passes against the
// fixture directly fails through the gateway (or when the direct run produced no results).
//
//   node summarize.mjs OUT_DIR REVISION baseline=DIR target=DIR [target=DIR ...]
//
// EXPECT_FILE (environment): scenarios every non-baseline target must pass, whatever the baseline did.
//
// A scenario passes when it has a result and none of its checks is FAILURE. Counts cover the
// scenarios the requirement set scores; its not_scored scenarios are run, reported on their own
// line and included in the baseline comparison.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const YAML = require('yaml');

const [outDir, revision, ...targetArgs] = process.argv.slice(2);
if (!outDir || !revision || targetArgs.length < 2) {
  console.error('usage: summarize.mjs OUT_DIR REVISION baseline=DIR target=DIR [target=DIR ...]');
  process.exit(2);
}
const targets = targetArgs.map((a) => {
  const i = a.indexOf('=');
  return { name: a.slice(0, i), dir: a.slice(i + 1) };
});

const pkgDir = path.dirname(require.resolve('@modelcontextprotocol/conformance/package.json'));
const req = YAML.parse(
  fs.readFileSync(path.join(pkgDir, 'requirements', `${revision}.yaml`), 'utf8')
);
const scored = req.server ?? [];
const notScored = (req.not_scored ?? []).filter((e) => e.leg === 'server').map((e) => e.scenario);
const all = [...scored, ...notScored];

/** scenario -> {status, passed, failed, failures[]} for one result directory. */
function readTarget(dir) {
  const results = new Map();
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  for (const scenario of all) {
    // directories are "server-<scenario>-<ISO timestamp>"; take the newest match
    const prefix = `server-${scenario}-`;
    const match = entries
      .filter((e) => e.startsWith(prefix) && /^\d{4}-\d\d-\d\dT/.test(e.slice(prefix.length)))
      .sort()
      .pop();
    const file = match && path.join(dir, match, 'checks.json');
    if (!file || !fs.existsSync(file)) {
      results.set(scenario, { status: 'missing', passed: 0, failed: 0, failures: ['no result'] });
      continue;
    }
    const checks = JSON.parse(fs.readFileSync(file, 'utf8'));
    const failedChecks = checks.filter((c) => c.status === 'FAILURE');
    results.set(scenario, {
      status: failedChecks.length === 0 ? 'pass' : 'fail',
      passed: checks.filter((c) => c.status === 'SUCCESS').length,
      failed: failedChecks.length,
      warnings: checks.filter((c) => c.status === 'WARNING').map((c) => `${c.id}: ${c.errorMessage ?? ''}`),
      failures: failedChecks.map((c) => `${c.id}: ${c.errorMessage ?? c.description ?? ''}`)
    });
  }
  return results;
}

const data = targets.map((t) => ({ ...t, results: readTarget(t.dir) }));
const baseline = data[0];

const tsv = ['target\tscenario\tscored\tstatus\tchecks_passed\tchecks_failed\tdetail'];
const json = {};
let totalPassed = 0;
let totalFailed = 0;
const regressions = [];

for (const t of data) {
  let passed = 0;
  let failed = 0;
  let nsPassed = 0;
  let nsFailed = 0;
  json[t.name] = {};
  for (const scenario of all) {
    const r = t.results.get(scenario);
    const isScored = scored.includes(scenario);
    const ok = r.status === 'pass';
    if (isScored) ok ? passed++ : failed++;
    else ok ? nsPassed++ : nsFailed++;
    json[t.name][scenario] = { scored: isScored, ...r };
    const detail = [...r.failures, ...(r.warnings ?? []).map((w) => `WARNING ${w}`)].join(' | ');
    tsv.push([t.name, scenario, isScored, r.status, r.passed, r.failed, detail.replace(/[\t\n]/g, ' ')].join('\t'));
    if (t !== baseline && !ok && baseline.results.get(scenario).status === 'pass') {
      regressions.push({ target: t.name, scenario, failures: r.failures });
    }
  }
  totalPassed += passed;
  totalFailed += failed;
  t.line = `conformance ${revision} ${t.name}: ${passed} passed, ${failed} failed`;
  t.notScoredLine = `  (not scored for ${revision}: ${nsPassed} passed, ${nsFailed} failed)`;
}

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'results.tsv'), tsv.join('\n') + '\n');
fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(json, null, 2) + '\n');

for (const t of data) {
  for (const scenario of all) {
    const r = t.results.get(scenario);
    if (r.status !== 'pass') {
      const why = r.failures.map((f) => f.replace(/\s+/g, ' ').slice(0, 300)).join(' | ');
      console.log(`  ${t.name} ${r.status.toUpperCase()} ${scenario}: ${why}`);
    }
  }
}
for (const t of data) {
  console.log(t.line);
  console.log(t.notScoredLine);
}

let exit = 0;
const baselineMissing = all.filter((s) => baseline.results.get(s).status === 'missing');
if (baselineMissing.length > 0) {
  // without an expectation list the baseline is the only judge, so it must be complete
  console.log(`the ${baseline.name} run produced no result for: ${baselineMissing.join(', ')}`);
  if (!process.env.EXPECT_FILE) exit = 1;
}
// EXPECT_FILE: scenarios (one per line, # comments) every gateway target must pass, whatever the baseline did
const expectFile = process.env.EXPECT_FILE;
if (expectFile) {
  // a line is "scenario" or "scenario -target ..." (required on every gateway target but those named)
  const expected = fs.readFileSync(expectFile, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map((l) => { const [scenario, ...rest] = l.split(/\s+/); return { scenario, except: rest.map((x) => x.replace(/^-/, '')) }; });
  for (const t of data.filter((d) => d !== baseline)) {
    for (const { scenario, except } of expected) {
      if (except.includes(t.name)) continue;
      const r = t.results.get(scenario);
      if (!r) {
        console.log(`EXPECTED: ${scenario} is not a ${revision} server scenario (fix ${expectFile})`);
        exit = 1;
      } else if (r.status !== 'pass') {
        console.log(`EXPECTED: ${scenario} must pass via ${t.target ?? t.name}: ${r.failures.join(' | ')}`);
        exit = 1;
      }
    }
  }
}
for (const r of regressions) {
  console.log(`REGRESSION: ${r.scenario} passes ${baseline.name} but fails via ${r.target}: ${r.failures.join(' | ')}`);
  exit = 1;
}
console.log(`conformance: ${totalPassed} passed, ${totalFailed} failed`);
process.exit(exit);
