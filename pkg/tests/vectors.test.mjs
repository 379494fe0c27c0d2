// Every core vector (core/tests/vectors/*.json: a policy, an input, the evaluation context and
// the decision native Rust produces) replayed through the npm package must give the same
// decision JSON, byte for byte.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

import { Policy } from "govgate";

const dir = new URL("../../core/tests/vectors/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

/**
 * The raw text of a top-level member of a JSON object, as written. The input is passed to the
 * package as that text, so a double written `1.0` stays a double as it does natively
 * (`JSON.parse` would make it the integer 1).
 */
function rawMember(text, key) {
  let depth = 0;
  let i = 0;
  const skipString = () => {
    for (i++; i < text.length; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === '"') return i++;
    }
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      skipString();
      if (depth === 1 && JSON.parse(text.slice(start, i)) === key && /^\s*:/.test(text.slice(i))) {
        i = text.indexOf(":", i) + 1;
        while (/\s/.test(text[i])) i++;
        const valueStart = i;
        let d = 0;
        do {
          const ch = text[i];
          if (ch === '"') {
            skipString();
            continue;
          }
          if (ch === "{" || ch === "[") d++;
          else if (ch === "}" || ch === "]") d--;
          i++;
        } while (i < text.length && (d > 0 || !/[,}\s]/.test(text[i])));
        return text.slice(valueStart, i);
      }
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    i++;
  }
  return undefined;
}

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
