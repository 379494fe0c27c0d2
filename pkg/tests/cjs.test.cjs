// The package as a CommonJS consumer requires it (`require("govgate")`, resolved through
// package.json `exports` to the Node CommonJS entry).

const { test } = require("node:test");
const assert = require("node:assert/strict");

const govgate = require("govgate");

const SINGLE_RULE_YAML = `govgate: 1
name: live-wide
subject: manifest
verdicts: { allow: auto, deny: block }
rules:
  - id: live_wide
    when: 'input.mode == "live" && input.scope_count > 10'
    verdict: deny
default_verdict: { verdict: allow }
`;

test("require gives the whole API", () => {
  for (const name of ["Policy", "fingerprint", "jsonSchema", "validatePolicy", "version"]) {
    assert.equal(typeof govgate[name], "function", name);
  }
});

test("a CommonJS consumer decides like an ESM one", () => {
  const policy = govgate.Policy.fromYaml(SINGLE_RULE_YAML);
  const now = "2026-01-01T00:00:00Z";
  assert.equal(policy.evaluate({ mode: "live", scope_count: 11 }, { now }).outcome, "block");
  assert.equal(policy.evaluate({ mode: "live", scope_count: 10 }, { now }).outcome, "auto");
  assert.deepEqual(policy.evaluateMany([{ mode: "live", scope_count: 11 }], { now }).outcomes, ["block"]);
});

test("errors are GovgateErrors under require too", () => {
  assert.throws(() => govgate.Policy.fromYaml("govgate: ["), (e) => e instanceof Error && e.name === "GovgateError" && e.kind === "policy");
});

test("import and require in one process share one wasm instance", async () => {
  const esm = await import("govgate");
  assert.equal(esm.Policy, govgate.Policy);
  const fromRequire = govgate.Policy.fromYaml(SINGLE_RULE_YAML);
  const fromImport = esm.Policy.fromYaml(SINGLE_RULE_YAML);
  assert.equal(fromRequire.digest, fromImport.digest);
});
