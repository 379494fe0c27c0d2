// The evaluate-only scorer (`govgate/scorer`), imported as a consumer imports it: a policy
// compiled by the full module (`policy.compiled()`) and read by the scorer
// (`Policy.fromCompiled`) decides every core vector with the native decision's exact bytes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";

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

test("govgate/scorer's exports mirror govgate's, and every file they name is in the package", () => {
  const pkgUrl = new URL("./node_modules/govgate/package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(pkgUrl, "utf8"));
  const inScorer = (value) => JSON.parse(JSON.stringify(value).replaceAll('"./', '"./scorer/').replaceAll("govgate.", "govgate_scorer.").replaceAll("govgate_bg.", "govgate_scorer_bg."));
  for (const [main, sub] of [
    [".", "./scorer"],
    ["./web", "./scorer/web"],
    ["./browser", "./scorer/browser"],
    ["./bundler", "./scorer/bundler"],
    ["./govgate_bg.wasm", "./scorer/govgate_scorer_bg.wasm"],
  ]) {
    assert.deepEqual(pkg.exports[sub], inScorer(pkg.exports[main]), sub);
  }
  const targets = (value) => (typeof value === "string" ? [value] : Object.values(value).flatMap(targets));
  for (const target of targets(pkg.exports)) {
    assert.ok(existsSync(new URL(target, pkgUrl)), `${target} is in the package`);
  }
  assert.ok(pkg.files.includes("scorer/"));
  for (const entry of ["./scorer/browser/index.js", "./scorer/govgate_scorer.js", "./scorer/node/govgate_scorer.cjs", "./scorer/node/govgate_scorer.mjs"]) {
    assert.ok(pkg.sideEffects.includes(entry), entry);
  }
  // The policy document's types come with `jsonSchema`, which only the full module has.
  const dts = (file) => readFileSync(new URL(file, pkgUrl), "utf8");
  assert.match(dts("./govgate.d.ts"), /^export interface PolicyDocument /m);
  assert.doesNotMatch(dts("./scorer/govgate_scorer.d.ts"), /PolicyDocument/);
  assert.match(dts("./scorer/govgate_scorer.d.ts"), /static fromCompiled\(bytes: Uint8Array\): Policy;/);
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

test("bad bytes throw a GovgateError saying what and at which byte, and the scorer keeps working", () => {
  const good = Policy.fromYaml(SINGLE_RULE_YAML).compiled();
  const policy = scorer.Policy.fromCompiled(good);
  const cut = good.slice(0, good.length - 10);
  const flipped = good.slice();
  flipped[20] ^= 1;
  const newer = good.slice();
  newer[4] = 99;
  // The artifact ends with its CRC-32 (4 bytes): a checksum that does not match is reported
  // where the checksum starts.
  const checksumAt = (bytes) => bytes.length - 4;
  const notType = (found) => new RegExp(`^invalid \`bytes\`: expected a Uint8Array, found ${found}$`);
  const damaged = (what, at) => new RegExp(`^invalid \`bytes\`: compiled policy: ${what}.* \\(at byte ${at}\\)$`);
  const cases = [
    ["policy", "a string", notType("a string")],
    [[1, 2, 3], "an array", notType("an array")],
    [undefined, "undefined", notType("undefined")],
    [good.buffer, "an ArrayBuffer (not wrapped in a Uint8Array)", notType("an object")],
    [new Uint8Array(0), "empty", damaged("not a compiled govgate policy", 0)],
    [new TextEncoder().encode(SINGLE_RULE_YAML), "YAML text", damaged("not a compiled govgate policy \\(it does not start with `GGCP`\\)", 0)],
    [cut, "cut short", damaged("its checksum does not match: the file is damaged or cut short", checksumAt(cut))],
    [flipped, "a flipped bit", damaged("its checksum does not match", checksumAt(flipped))],
    [newer, "another format version", damaged("format version 99, but this govgate reads version 1", 4)],
  ];
  for (const [bytes, what, message] of cases) {
    assert.throws(
      () => scorer.Policy.fromCompiled(bytes),
      (e) => {
        assert.ok(e instanceof Error, what);
        assert.equal(e.name, "GovgateError", what);
        assert.equal(e.kind, "input", what);
        assert.equal(e.path, "bytes", what);
        assert.match(e.message, message, what);
        return true;
      },
      what,
    );
    assert.equal(policy.evaluate(LIVE_WIDE, { now: NOW }).outcome, "block", `after ${what}`);
  }
  assert.throws(() => policy.evaluate("nope", { now: NOW }), (e) => e.name === "GovgateError" && e.path === "action");
  assert.equal(policy.evaluate(PAPER, { now: NOW }).outcome, "auto");
  policy.free();
});

test("a Node Buffer and a view into a larger buffer are Uint8Arrays too", () => {
  const good = Policy.fromYaml(SINGLE_RULE_YAML).compiled();
  const expected = Policy.fromYaml(SINGLE_RULE_YAML).evaluateJson(JSON.stringify(LIVE_WIDE), { now: NOW });
  const larger = new Uint8Array(good.length + 16).fill(0x47);
  larger.set(good, 8);
  for (const [bytes, what] of [
    [Buffer.from(good), "Buffer (what readFile gives)"],
    [larger.subarray(8, 8 + good.length), "a view at an offset"],
  ]) {
    assert.equal(scorer.Policy.fromCompiled(bytes).evaluateJson(JSON.stringify(LIVE_WIDE), { now: NOW }), expected, what);
  }
  // Only the view's bytes are read: one byte more is damage.
  assert.throws(() => scorer.Policy.fromCompiled(larger.subarray(8, 9 + good.length)), /checksum does not match/);
});
