// The evaluate-only scorer (`govgate/scorer`), imported as a consumer imports it: a policy
// compiled by the full module (`policy.compiled()`) and read by the scorer
// (`Policy.fromCompiled`) decides every core vector with the native decision's exact bytes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

import { Policy } from "govgate";
import * as scorer from "govgate/scorer";

import { LIVE_WIDE, NOW, PAPER, SINGLE_RULE_YAML, rawMember } from "./fixtures.mjs";

const dir = new URL("../../core/tests/vectors/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

test("the scorer exports only what decides", () => {
  assert.deepEqual(Object.keys(scorer).sort(), ["Policy", "fingerprint", "version"]);
  assert.equal(typeof scorer.Policy.fromCompiled, "function");
  for (const missing of ["fromYaml", "fromJson"]) assert.equal(scorer.Policy[missing], undefined, missing);
  assert.equal(scorer.Policy.prototype.test, undefined);
  assert.equal(scorer.Policy.prototype.compiled, undefined);
  assert.equal(Policy.fromCompiled, undefined, "the full module compiles from source");
  const installed = JSON.parse(readFileSync(new URL("./node_modules/govgate/package.json", import.meta.url), "utf8"));
  assert.equal(scorer.version(), installed.version);
});

for (const file of files) {
  test(`vector ${file}: the scorer gives the native decision bytes`, () => {
    const text = readFileSync(new URL(file, dir), "utf8");
    const vector = JSON.parse(text);
    const full = Policy.fromYaml(vector.policy, "vector.yaml");
    const bytes = full.compiled();
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual(Policy.fromYaml(vector.policy, "vector.yaml").compiled(), bytes, "the same bytes every time");
    const policy = scorer.Policy.fromCompiled(bytes);
    assert.equal(policy.name, full.name);
    assert.equal(policy.digest, full.digest);
    const options = { now: vector.now, parameters: vector.params ?? {}, fingerprint: vector.fingerprint ?? false };

    assert.equal(policy.evaluateJson(rawMember(text, "input"), options), vector.decision_json);
    assert.deepEqual(policy.evaluate(vector.input, options), JSON.parse(vector.decision_json));
    assert.deepEqual(policy.evaluateMany([vector.input, vector.input], options), full.evaluateMany([vector.input, vector.input], options));
  });
}

test("the scorer's fingerprint is the full module's", async () => {
  const { fingerprint } = await import("govgate");
  const action = { type: "deploy", args: { n: 1.5, s: "é" }, overrides: [1] };
  assert.equal(scorer.fingerprint(action), fingerprint(action));
});

test("bad bytes throw a GovgateError saying what and where, and the scorer keeps working", () => {
  const good = Policy.fromYaml(SINGLE_RULE_YAML).compiled();
  const policy = scorer.Policy.fromCompiled(good);
  const cut = good.slice(0, good.length - 10);
  const flipped = good.slice();
  flipped[20] ^= 1;
  const newer = good.slice();
  newer[4] = 99;
  const cases = [
    ["a string", "policy", /expected a Uint8Array, found a string/],
    [[1, 2, 3], "an array", /expected a Uint8Array, found an array/],
    [undefined, "undefined", /expected a Uint8Array/],
    [new Uint8Array(0), "empty", /does not start with `GGCP`\) \(at byte 0\)/],
    [new TextEncoder().encode(SINGLE_RULE_YAML), "YAML text", /not a compiled govgate policy/],
    [cut, "cut short", /checksum does not match.*\(at byte \d+\)/],
    [flipped, "a flipped bit", /checksum does not match/],
    [newer, "another format version", /format version 99.*\(at byte 4\)/],
  ];
  for (const [bytes, what, message] of cases) {
    assert.throws(
      () => scorer.Policy.fromCompiled(bytes),
      (e) => e instanceof Error && e.name === "GovgateError" && e.kind === "input" && e.path === "bytes" && message.test(e.message),
      what,
    );
    assert.equal(policy.evaluate(LIVE_WIDE, { now: NOW }).outcome, "block", `after ${what}`);
  }
  assert.throws(() => policy.evaluate("nope", { now: NOW }), (e) => e.name === "GovgateError" && e.path === "action");
  assert.equal(policy.evaluate(PAPER, { now: NOW }).outcome, "auto");
  policy.free();
});
