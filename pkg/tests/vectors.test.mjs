// Every core vector (core/tests/vectors/*.json: a policy, an input, the evaluation context and
// the decision native Rust produces) replayed through the npm package must give the same
// decision JSON, byte for byte.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

import { Policy } from "govgate";

import { rawMember } from "./fixtures.mjs";

const dir = new URL("../../core/tests/vectors/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

test("the core vectors are there", () => {
  assert.ok(files.length >= 10, `expected at least 10 vectors in ${dir.pathname}, found ${files.length}`);
});

for (const file of files) {
  test(`vector ${file}: byte-identical decision JSON`, () => {
    const text = readFileSync(new URL(file, dir), "utf8");
    const vector = JSON.parse(text);
    assert.equal(typeof vector.decision_json, "string", "the vector carries the native decision JSON");
    const policy = typeof vector.policy === "string" ? Policy.fromYaml(vector.policy, "vector.yaml") : Policy.fromJson(vector.policy);
    const options = { now: vector.now, parameters: vector.params ?? {}, fingerprint: vector.fingerprint ?? false };

    // The JSON path: the input exactly as written, the decision exactly as serialized.
    const input = rawMember(text, "input");
    assert.deepEqual(JSON.parse(input), vector.input);
    assert.equal(policy.evaluateJson(input, options), vector.decision_json);

    // The object path: the input as a JavaScript object, the decision as an object.
    assert.deepEqual(policy.evaluate(vector.input, options), JSON.parse(vector.decision_json));

    // The batch path agrees on outcome, band and score.
    const decision = JSON.parse(vector.decision_json);
    const batch = policy.evaluateMany([vector.input], options);
    assert.deepEqual([batch.outcomes[0], batch.bands[0], batch.scores[0]], [decision.outcome, decision.band ?? null, decision.score]);
    assert.equal(batch.failed, decision.errors?.length ? 1 : 0);
  });
}
