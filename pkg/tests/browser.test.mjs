// The browser builds of both modules, loaded in Node: `<module>/web` (explicit init), the
// `browser` entry (the web build initialised by a top-level await; what browsers and bundlers
// resolve `govgate` and `govgate/scorer` to), and the `bundler` build (wasm imported as an ES
// module, as webpack and workers do). The full module compiles the YAML; the scorer loads the
// same policy compiled (`policy.compiled()`).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

import { Policy } from "govgate";

import { SINGLE_RULE_YAML, LIVE_WIDE, PAPER, NOW } from "./fixtures.mjs";

const require = createRequire(import.meta.url);
const COMPILED = [...Policy.fromYaml(SINGLE_RULE_YAML).compiled()];

/** Each module: what it is imported as, its wasm, and an expression making the policy from `Policy`. */
const MODULES = [
  { specifier: "govgate", wasm: "govgate_bg.wasm", load: `Policy.fromYaml(${JSON.stringify(SINGLE_RULE_YAML)})` },
  { specifier: "govgate/scorer", wasm: "govgate_scorer_bg.wasm", load: `Policy.fromCompiled(new Uint8Array(${JSON.stringify(COMPILED)}))` },
];

/** Runs an ES module script in a fresh Node process (each build initialises once per process). */
function runModule(script, flags = []) {
  return execFileSync(process.execPath, [...flags, "--no-warnings", "--input-type=module", "-e", script], {
    cwd: new URL(".", import.meta.url),
    encoding: "utf8",
  });
}

for (const { specifier, wasm, load } of MODULES) {
  test(`${specifier}/web: init with the wasm bytes, then the Node build's decisions`, async () => {
    const web = await import(`${specifier}/web`);
    await web.default({ module_or_path: await readFile(require.resolve(`${specifier}/${wasm}`)) });
    const node = await import(specifier);
    const make = new Function("Policy", `return ${load};`);
    const a = make(web.Policy);
    const b = make(node.Policy);
    assert.notEqual(web.Policy, node.Policy, "two builds, two instances");
    assert.equal(a.digest, b.digest);
    for (const action of [LIVE_WIDE, PAPER]) {
      assert.deepEqual(a.evaluate(action, { now: NOW }), b.evaluate(action, { now: NOW }));
    }
  });

  test(`${specifier}/browser: fetches the wasm beside it and initialises itself`, () => {
    // Node's fetch does not read file: URLs; a browser fetches the wasm over HTTP.
    const out = runModule(`
      import { readFile } from "node:fs/promises";
      const fetched = [];
      globalThis.fetch = async (url) => {
        fetched.push(String(url));
        return new Response(await readFile(new URL(url)), { headers: { "content-type": "application/wasm" } });
      };
      const { Policy } = await import("${specifier}/browser");
      const outcome = ${load}.evaluate(${JSON.stringify(LIVE_WIDE)}, { now: "${NOW}" }).outcome;
      process.stdout.write(JSON.stringify({ outcome, fetched }));
    `);
    const { outcome, fetched } = JSON.parse(out);
    assert.equal(outcome, "block");
    assert.equal(fetched.length, 1);
    assert.equal(fetched[0], pathToFileURL(require.resolve(`${specifier}/${wasm}`)).href, "its own wasm, beside the package's");
  });

  test(`${specifier}/bundler: the wasm imported as an ES module`, () => {
    const out = runModule(
      `
      import { Policy } from "${specifier}/bundler";
      process.stdout.write(${load}.evaluate(${JSON.stringify(LIVE_WIDE)}, { now: "${NOW}" }).outcome);
    `,
      ["--experimental-wasm-modules"],
    );
    assert.equal(out, "block");
  });
}
