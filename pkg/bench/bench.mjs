// The npm package's budgets (issue 3), measured in one run, side by side with
// @cedar-policy/cedar-wasm on the single-rule workload. Run by `cargo xtask bench pkg
// [--markdown]`, which packs pkg/dist and installs it here first. Node flags: --expose-gc.
//
// Timings are medians of several rounds after a warm-up, on whatever machine runs this; they are
// reported, not asserted.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";

const require = createRequire(import.meta.url);
const markdown = process.argv.includes("--markdown");

const govgate = require("govgate");
const scorer = require("govgate/scorer");
const cedar = require("@cedar-policy/cedar-wasm/nodejs");

const NOW = "2026-01-01T00:00:00Z";
const SINGLE_RULE_YAML = `govgate: 1
name: single-rule
subject: manifest
verdicts: {allow: auto, deny: block}
default_verdict: {verdict: allow}
rules:
  - id: live_wide
    when: 'input.mode == "live" && input.scope_count > 10'
    verdict: deny
`;
const ACTION = { mode: "live", scope_count: 12 };
const agentTradingPath = new URL("../../examples/policies/agent-trading.yaml", import.meta.url);
const AGENT_TRADING = readFileSync(agentTradingPath, "utf8");

// The same rule in Cedar: forbid live changes over more than 10 scopes, permit the rest.
const CEDAR_POLICIES = {
  staticPolicies: `
    forbid (principal, action, resource) when { context.mode == "live" && context.scope_count > 10 };
    permit (principal, action, resource);
  `,
};
const cedarCall = (context) => ({
  principal: { type: "Agent", id: "a" },
  action: { type: "Action", id: "change" },
  resource: { type: "Strategy", id: "s" },
  context,
  entities: [],
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Median nanoseconds per call of `fn` over `rounds` rounds of `n` calls, after a warm-up. */
function timePerCall(fn, { n = 20000, rounds = 9 } = {}) {
  for (let i = 0; i < n; i++) fn(i);
  const per = [];
  for (let r = 0; r < rounds; r++) {
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    per.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return median(per);
}

/** What `script` prints (JSON), from each of 9 fresh Node processes in this folder. */
function inFreshProcesses(script) {
  const runs = [];
  for (let i = 0; i < 9; i++) {
    runs.push(JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: new URL(".", import.meta.url), encoding: "utf8" })));
  }
  return runs;
}

const rows = [];
/** Records one figure: `ok` is true/false against a budget, or undefined when there is none. */
function report(what, value, budget, ok) {
  rows.push({ what, value, budget: budget ?? "", ok });
}
const us = (ns) => `${(ns / 1000).toFixed(2)} µs`;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

// --- sizes ---
const wasmBytes = readFileSync(require.resolve("govgate/govgate_bg.wasm"));
const wasmGz = gzipSync(wasmBytes, { level: 9 }).length;
const cedarBytes = readFileSync(require.resolve("@cedar-policy/cedar-wasm/nodejs").replace(/cedar_wasm\.js$/, "cedar_wasm_bg.wasm"));
const cedarGz = gzipSync(cedarBytes, { level: 9 }).length;
report("govgate .wasm after wasm-opt -Oz (raw)", kb(wasmBytes.length));
report("govgate .wasm gzipped (-9)", kb(wasmGz), "≤ 150 KB (stretch 100 KB)", wasmGz <= 150 * 1024);
report("cedar-wasm 4.13.0 .wasm gzipped (-9)", kb(cedarGz));
report("size: cedar-wasm / govgate (gzipped)", `${(cedarGz / wasmGz).toFixed(1)}×`, "≥ 9×", cedarGz / wasmGz >= 9);
const scorerBytes = readFileSync(require.resolve("govgate/scorer/govgate_scorer_bg.wasm"));
const scorerGz = gzipSync(scorerBytes, { level: 9 }).length;
report("govgate/scorer .wasm after wasm-opt -Oz (raw)", kb(scorerBytes.length));
report("govgate/scorer .wasm gzipped (-9)", kb(scorerGz), "≤ 150 KB (stretch 100 KB)", scorerGz <= 150 * 1024);
report("size: cedar-wasm / govgate/scorer (gzipped)", `${(cedarGz / scorerGz).toFixed(1)}×`, "≥ 9×", cedarGz / scorerGz >= 9);

// --- instantiate + compile the agent-trading policy, in fresh processes ---
const coldScript = `
  const t0 = performance.now();
  const { Policy } = require("govgate");
  const t1 = performance.now();
  const p = Policy.fromYaml(require("node:fs").readFileSync(${JSON.stringify(agentTradingPath.pathname)}, "utf8"));
  const t2 = performance.now();
  process.stdout.write(JSON.stringify([t1 - t0, t2 - t1, p.name]));
`;
const cold = inFreshProcesses(coldScript);
const instantiateMs = median(cold.map((c) => c[0]));
const firstCompileMs = median(cold.map((c) => c[1]));
const coldMs = median(cold.map((c) => c[0] + c[1]));
report("instantiate (require: read, compile, instantiate the wasm)", `${instantiateMs.toFixed(2)} ms`);
report("first compile of agent-trading.yaml", `${firstCompileMs.toFixed(2)} ms`);
report("instantiate + compile agent-trading.yaml (fresh process)", `${coldMs.toFixed(2)} ms`, "≤ 5 ms", coldMs <= 5);
const warmCompileNs = timePerCall(() => govgate.Policy.fromYaml(AGENT_TRADING).free(), { n: 200, rounds: 7 });
report("compile agent-trading.yaml (warm)", us(warmCompileNs));

// --- the scorer: instantiate + load the compiled agent-trading policy, in fresh processes ---
const compiledDir = mkdtempSync(join(tmpdir(), "govgate-bench-"));
const compiledPath = join(compiledDir, "agent-trading.ggc");
writeFileSync(compiledPath, govgate.Policy.fromYaml(AGENT_TRADING).compiled());
const scorerColdScript = `
  const bytes = new Uint8Array(require("node:fs").readFileSync(${JSON.stringify(compiledPath)}));
  const t0 = performance.now();
  const { Policy } = require("govgate/scorer");
  const t1 = performance.now();
  const p = Policy.fromCompiled(bytes);
  const t2 = performance.now();
  const d = p.evaluate({ type: "run_backtest", actor: { id: "a" } }, { now: "${NOW}" });
  const t3 = performance.now();
  process.stdout.write(JSON.stringify([t1 - t0, t2 - t1, t3 - t2, d.outcome]));
`;
const scorerCold = inFreshProcesses(scorerColdScript);
const scorerRequireMs = median(scorerCold.map((c) => c[0]));
const scorerLoadMs = median(scorerCold.map((c) => c[1]));
const scorerColdMs = median(scorerCold.map((c) => c[0] + c[1]));
report("scorer: instantiate (require govgate/scorer)", `${scorerRequireMs.toFixed(2)} ms`);
report("scorer: first fromCompiled of agent-trading", `${scorerLoadMs.toFixed(2)} ms`);
report("scorer: instantiate + load compiled agent-trading (fresh process)", `${scorerColdMs.toFixed(2)} ms`, "≤ 5 ms", scorerColdMs <= 5);
report("scorer: the first evaluate after that", `${median(scorerCold.map((c) => c[2])).toFixed(2)} ms`);
const compiledBytes = readFileSync(compiledPath);
rmSync(compiledDir, { recursive: true });
report("scorer: fromCompiled agent-trading (warm)", us(timePerCall(() => scorer.Policy.fromCompiled(compiledBytes).free(), { n: 500, rounds: 7 })));

// --- one decision, the single-rule action as a JS object ---
const single = govgate.Policy.fromYaml(SINGLE_RULE_YAML);
const options = { now: NOW };
const actions = [ACTION, { mode: "live", scope_count: 3 }, { mode: "paper", scope_count: 12 }];
if (single.evaluate(ACTION, options).outcome !== "block") throw new Error("single rule: expected block");
const evaluateNs = timePerCall((i) => single.evaluate(actions[i % 3], options));
report("evaluate(action object, {now}) → decision object", us(evaluateNs), "≤ 2 µs", evaluateNs <= 2000);
const evaluateNoOptsNs = timePerCall((i) => single.evaluate(actions[i % 3]));
report("evaluate(action object) → decision object (now = Date.now())", us(evaluateNoOptsNs));
const texts = actions.map((a) => JSON.stringify(a));
const evaluateJsonNs = timePerCall((i) => single.evaluateJson(texts[i % 3], options));
report("evaluateJson(text) → decision text", us(evaluateJsonNs));
const scored = scorer.Policy.fromCompiled(single.compiled());
if (scored.evaluate(ACTION, options).outcome !== "block") throw new Error("scorer single rule: expected block");
const scorerEvaluateNs = timePerCall((i) => scored.evaluate(actions[i % 3], options));
report("scorer: evaluate(action object, {now}) → decision object", us(scorerEvaluateNs), "≤ 2 µs", scorerEvaluateNs <= 2000);

// --- evaluateMany over 100,000 actions ---
const N = 100_000;
const batch = Array.from({ length: N }, (_, i) => ({ mode: i % 2 ? "live" : "paper", scope_count: i % 20 }));
/** Median nanoseconds per action of `policy.evaluateMany(batch)` over 5 rounds, after a warm-up. */
function batchPerAction(policy) {
  policy.evaluateMany(batch.slice(0, 1000), options);
  const ms = [];
  for (let r = 0; r < 5; r++) {
    globalThis.gc?.();
    const t0 = performance.now();
    const out = policy.evaluateMany(batch, options);
    ms.push(performance.now() - t0);
    if (out.outcomes.length !== N) throw new Error("evaluateMany: wrong length");
  }
  return (median(ms) * 1e6) / N;
}
const perActionNs = batchPerAction(single);
report(`evaluateMany(${N.toLocaleString("en")} actions), per action`, us(perActionNs), "≤ 1.5 µs", perActionNs <= 1500);
const scorerPerActionNs = batchPerAction(scored);
report(`scorer: evaluateMany(${N.toLocaleString("en")} actions), per action`, us(scorerPerActionNs), "≤ 1.5 µs", scorerPerActionNs <= 1500);

const trading = govgate.Policy.fromYaml(AGENT_TRADING);
const tradingAction = {
  actor: { id: "trader-1", roles: ["trader"] },
  agent: "strategy_optimizer",
  type: "modify_strategy",
  args: { trading_mode: "live", stop_loss_pct: 8, strategy_ids: [7, 9], reversibility: "effort" },
  context: { current_mode: "paper" },
};
report("agent-trading: evaluate (4 factors, triggers, bands, suggestions)", us(timePerCall(() => trading.evaluate(tradingAction, options), { n: 5000 })));

// --- cedar-wasm, same workload ---
const pre = cedar.preparsePolicySet("single", CEDAR_POLICIES);
if (pre.type !== "success") throw new Error(`cedar preparse: ${JSON.stringify(pre)}`);
const cedarContexts = actions.map((a) => a);
const check = cedar.statefulIsAuthorized({ ...cedarCall(ACTION), preparsedPolicySetId: "single" });
if (check.type !== "success" || check.response.decision !== "deny") throw new Error(`cedar: ${JSON.stringify(check)}`);
const cedarStatefulNs = timePerCall((i) => cedar.statefulIsAuthorized({ ...cedarCall(cedarContexts[i % 3]), preparsedPolicySetId: "single" }));
report("cedar-wasm statefulIsAuthorized (preparsed policies)", us(cedarStatefulNs));
const cedarNs = timePerCall((i) => cedar.isAuthorized({ ...cedarCall(cedarContexts[i % 3]), policies: CEDAR_POLICIES }), { n: 5000 });
report("cedar-wasm isAuthorized (policies sent each call)", us(cedarNs));
const speedup = cedarStatefulNs / evaluateNs;
report("speed: cedar stateful / govgate evaluate, per decision", `${speedup.toFixed(1)}×`, "≥ 3×", speedup >= 3);
const scorerSpeedup = cedarStatefulNs / scorerEvaluateNs;
report("speed: cedar stateful / govgate/scorer evaluate, per decision", `${scorerSpeedup.toFixed(1)}×`, "≥ 3×", scorerSpeedup >= 3);

// --- print ---
const mark = (ok) => (ok === undefined ? "" : ok ? "yes" : "NO");
if (markdown) {
  console.log("| measure | value | budget | met |\n| --- | --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.what} | ${r.value} | ${r.budget} | ${mark(r.ok)} |`);
  console.log(`\nNode ${process.version}, ${process.platform}/${process.arch}; govgate ${govgate.version()}, cedar-wasm ${cedar.getCedarSDKVersion?.() ?? "4.13.0"}.`);
} else {
  const w = Math.max(...rows.map((r) => r.what.length));
  const v = Math.max(...rows.map((r) => String(r.value).length));
  for (const r of rows) console.log(`${r.what.padEnd(w)}  ${String(r.value).padStart(v)}  ${r.budget ? `${r.budget} ${mark(r.ok)}` : ""}`);
}
