// The browser builds, loaded in Node: `govgate/web` (explicit init), the `browser` entry (the
// web build initialised by a top-level await; what browsers and bundlers resolve `govgate` to),
// and the `bundler` build (wasm imported as an ES module, as webpack and workers do).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

import { SINGLE_RULE_YAML, LIVE_WIDE, PAPER, NOW } from "./fixtures.mjs";

const require = createRequire(import.meta.url);
const wasmPath = require.resolve("govgate/govgate_bg.wasm");

test("govgate/web: init with the wasm bytes, then the same decisions", async () => {
  const web = await import("govgate/web");
  await web.default({ module_or_path: await readFile(wasmPath) });
  const node = await import("govgate");
  const a = web.Policy.fromYaml(SINGLE_RULE_YAML);
  const b = node.Policy.fromYaml(SINGLE_RULE_YAML);
  assert.equal(a.digest, b.digest);
  for (const action of [LIVE_WIDE, PAPER]) {
    assert.deepEqual(a.evaluate(action, { now: NOW }), b.evaluate(action, { now: NOW }));
  }
});

/** Runs an ES module script in a fresh Node process (each build initialises once per process). */
function runModule(script, flags = []) {
  return execFileSync(process.execPath, [...flags, "--no-warnings", "--input-type=module", "-e", script], {
    cwd: new URL(".", import.meta.url),
    encoding: "utf8",
  });
}

test("govgate/browser: fetches the wasm beside it and initialises itself", () => {
  // Node's fetch does not read file: URLs; a browser fetches the wasm over HTTP.
  const out = runModule(`
    import { readFile } from "node:fs/promises";
    const fetched = [];
    globalThis.fetch = async (url) => {
      fetched.push(String(url));
      return new Response(await readFile(new URL(url)), { headers: { "content-type": "application/wasm" } });
    };
    const { Policy } = await import("govgate/browser");
    const outcome = Policy.fromYaml(${JSON.stringify(SINGLE_RULE_YAML)}).evaluate(${JSON.stringify(LIVE_WIDE)}, { now: "${NOW}" }).outcome;
    process.stdout.write(JSON.stringify({ outcome, fetched }));
  `);
  const { outcome, fetched } = JSON.parse(out);
  assert.equal(outcome, "block");
  assert.equal(fetched.length, 1);
  assert.match(fetched[0], /\/govgate_bg\.wasm$/);
});

test("govgate/bundler: the wasm imported as an ES module", () => {
  const out = runModule(
    `
    import { Policy } from "govgate/bundler";
    const p = Policy.fromYaml(${JSON.stringify(SINGLE_RULE_YAML)});
    process.stdout.write(p.evaluate(${JSON.stringify(LIVE_WIDE)}, { now: "${NOW}" }).outcome);
  `,
    ["--experimental-wasm-modules"],
  );
  assert.equal(out, "block");
});
