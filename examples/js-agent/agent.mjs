// A Node agent front end that scores every tool call with govgate before running it.
//
//   node agent.mjs [policy.yaml]      (default: ../policies/agent-trading.yaml)
//   node agent.mjs policy.ggc         a compiled policy (`govgate compile policy.yaml`), scored
//                                     by the smaller evaluate-only `govgate/scorer`

import { readFile } from "node:fs/promises";

import { ToolGate } from "./gate.mjs";
import { plan, tools } from "./tools.mjs";

const policyPath = process.argv[2] ?? new URL("../policies/agent-trading.yaml", import.meta.url);
const policy = String(policyPath).endsWith(".ggc")
  ? (await import("govgate/scorer")).Policy.fromCompiled(new Uint8Array(await readFile(policyPath)))
  : (await import("govgate")).Policy.fromYaml(await readFile(policyPath, "utf8"), String(policyPath).split("/").pop());

const gate = new ToolGate(policy, { actor: { id: "trader-1", roles: ["trader"] }, agent: "strategy_optimizer" });

console.log(`policy ${policy.name} (digest ${policy.digest.slice(0, 12)}…)\n`);
for (const call of plan) {
  const { status, decision, result, reasons, approval } = await gate.run(call, tools[call.tool]);
  const score = `${decision.outcome} · ${decision.band ?? "-"} · ${decision.score.toFixed(2)}`;
  console.log(`${call.tool.padEnd(16)} ${score.padEnd(26)} ${status}`);
  if (status === "ran") console.log(`  ${result}`);
  if (status === "refused") for (const r of reasons) console.log(`  - ${r}`);
  if (status === "held") {
    console.log(`  waiting for ${approval.quorum} × ${approval.role}${approval.justification ? " (with a justification)" : ""}`);
    for (const r of decision.reasons ?? []) console.log(`  - ${r}`);
  }
}
