// examples/js-agent, driven with the package as installed here: the gate runs `auto` calls,
// refuses `block` ones and hands `approval` ones to its hook.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { Policy } from "govgate";
import { ToolGate } from "../../examples/js-agent/gate.mjs";
import { plan, tools } from "../../examples/js-agent/tools.mjs";

const policy = Policy.fromYaml(readFileSync(new URL("../../examples/policies/agent-trading.yaml", import.meta.url), "utf8"));
const who = { actor: { id: "trader-1", roles: ["trader"] }, agent: "strategy_optimizer" };

test("the agent's plan: auto calls run, block calls are refused, approval calls are held", async () => {
  const decided = [];
  const gate = new ToolGate(policy, who, { onDecision: (action, decision) => decided.push([action.tool, decision.outcome]) });
  const results = [];
  for (const call of plan) results.push(await gate.run(call, tools[call.tool]));
  assert.deepEqual(results.map((r) => r.status), ["ran", "ran", "held", "held", "refused"]);
  assert.deepEqual(decided.map(([, outcome]) => outcome), ["auto", "auto", "approval", "approval", "block"]);
  assert.equal(results[0].result, "backtested strategies 42");
  assert.deepEqual([results[2].approval.role, results[3].approval.role], ["reviewer", "admin"]);
  assert.ok(results[4].reasons.length > 0);
  for (const r of results) assert.match(r.decision.fingerprint, /^[0-9a-f]{64}$/);
});

test("an approval hook that gets a yes runs the call", async () => {
  const seen = [];
  const approveAll = async (action, decision, execute) => {
    seen.push(decision.approval.role);
    return { status: "ran", result: await execute(), decision };
  };
  const gate = new ToolGate(policy, who, { onApproval: approveAll });
  const live = plan[3];
  const out = await gate.run(live, tools[live.tool]);
  assert.equal(out.status, "ran");
  assert.equal(out.result, "set strategies 7, 9 to live with a 8% stop loss");
  assert.deepEqual(seen, ["admin"]);
});

test("the same plan through the evaluate-only scorer and a compiled policy: the same decisions", async () => {
  const { Policy: ScorerPolicy } = await import("govgate/scorer");
  const compiled = ScorerPolicy.fromCompiled(policy.compiled());
  const outcomes = async (p) => {
    const decided = [];
    const gate = new ToolGate(p, who, { onDecision: (action, decision) => decided.push(JSON.stringify(decision)) });
    for (const call of plan) await gate.run(call, tools[call.tool]);
    return decided;
  };
  const [fromYaml, fromCompiled] = [await outcomes(policy), await outcomes(compiled)];
  assert.equal(fromCompiled.length, plan.length);
  assert.deepEqual(fromCompiled, fromYaml);
});
