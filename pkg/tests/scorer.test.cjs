// The evaluate-only scorer through `require("govgate/scorer")` (CommonJS).

const { test } = require("node:test");
const assert = require("node:assert/strict");

const scorer = require("govgate/scorer");
const govgate = require("govgate");

test("a CommonJS consumer loads compiled policies and decides like the full module", () => {
  const yaml = "govgate: 1\nname: p\nsubject: manifest\nrules:\n  - {id: r, when: 'input.n > 2', verdict: block}\n";
  const full = govgate.Policy.fromYaml(yaml);
  const policy = scorer.Policy.fromCompiled(full.compiled());
  const now = "2026-01-01T00:00:00Z";
  for (const n of [1, 3]) {
    assert.equal(policy.evaluateJson(JSON.stringify({ n }), { now }), full.evaluateJson(JSON.stringify({ n }), { now }));
  }
  assert.equal(scorer.Policy.fromYaml, undefined);
});

test("bad bytes are GovgateErrors under require too, and the scorer keeps working", () => {
  const full = govgate.Policy.fromYaml("govgate: 1\nname: p\nsubject: manifest\nrules:\n  - {id: r, when: 'input.n > 2', verdict: block}\n");
  const bytes = full.compiled();
  const policy = scorer.Policy.fromCompiled(bytes);
  const damaged = bytes.slice();
  damaged[damaged.length - 1] ^= 0x80;
  assert.throws(
    () => scorer.Policy.fromCompiled(damaged),
    (e) =>
      e instanceof Error &&
      e.name === "GovgateError" &&
      e.kind === "input" &&
      e.path === "bytes" &&
      e.message === `invalid \`bytes\`: compiled policy: its checksum does not match: the file is damaged or cut short (at byte ${bytes.length - 4})`,
  );
  assert.throws(() => scorer.Policy.fromCompiled("GGCP"), (e) => e.name === "GovgateError" && e.message === "invalid `bytes`: expected a Uint8Array, found a string");
  assert.equal(policy.evaluate({ n: 3 }, { now: "2026-01-01T00:00:00Z" }).outcome, "block");
});

test("import and require of the scorer share one wasm instance", async () => {
  const esm = await import("govgate/scorer");
  assert.equal(esm.Policy, scorer.Policy);
  assert.notEqual(esm.Policy, govgate.Policy);
});
