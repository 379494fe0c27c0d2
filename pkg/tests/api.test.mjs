// The package's API as an ESM consumer imports it (`import ... from "govgate"`, resolved
// through package.json `exports` to the Node ESM entry).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { Policy, fingerprint, jsonSchema, validatePolicy, version } from "govgate";
import { SINGLE_RULE, SINGLE_RULE_YAML, LIVE_WIDE, PAPER, NOW } from "./fixtures.mjs";

const require = createRequire(import.meta.url);

/** Asserts `fn` throws a GovgateError of `kind` whose path and message match. */
function throwsGovgate(fn, { kind = "input", path, message } = {}) {
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof Error, `expected an Error to be thrown, got ${thrown}`);
  assert.equal(thrown.name, "GovgateError");
  assert.equal(thrown.kind, kind, thrown.message);
  if (path !== undefined) assert.equal(thrown.path, path, thrown.message);
  if (message !== undefined) assert.match(thrown.message, message);
  assert.ok(Array.isArray(thrown.diagnostics));
  return thrown;
}

test("the ESM entry is the Node build and carries the package's version", () => {
  const pkg = require("govgate/package.json");
  assert.equal(version(), pkg.version);
  assert.equal(pkg.name, "govgate");
});

test("fromYaml compiles once; evaluate decides", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  assert.equal(policy.name, "live-wide");
  assert.match(policy.digest, /^[0-9a-f]{64}$/);

  const deny = policy.evaluate(LIVE_WIDE, { now: NOW });
  assert.equal(deny.outcome, "block");
  assert.equal(deny.verdict, "deny");
  assert.equal(deny.rule?.id, "live_wide");
  assert.equal(deny.policy, "live-wide");
  assert.equal(deny.policy_digest, policy.digest);

  const allow = policy.evaluate(PAPER, { now: NOW });
  assert.equal(allow.outcome, "auto");
  assert.equal(allow.verdict, "allow");
});

test("fromJson of the same document compiles to the same policy", () => {
  const a = Policy.fromYaml(SINGLE_RULE_YAML);
  const b = Policy.fromJson(SINGLE_RULE);
  const c = Policy.fromJson(JSON.stringify(SINGLE_RULE));
  assert.equal(a.digest, b.digest);
  assert.equal(a.digest, c.digest);
  assert.deepEqual(b.evaluate(LIVE_WIDE, { now: NOW }), a.evaluate(LIVE_WIDE, { now: NOW }));
});

test("evaluateJson returns the decision's JSON text; evaluate parses the same text", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const text = policy.evaluateJson(JSON.stringify(LIVE_WIDE), { now: NOW });
  assert.equal(typeof text, "string");
  assert.deepEqual(JSON.parse(text), policy.evaluate(LIVE_WIDE, { now: NOW }));
  assert.ok(text.startsWith('{"outcome":"block"'), text);
});

test("now accepts a Date or an RFC 3339 string, and defaults to the current time", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const byDate = policy.evaluate(LIVE_WIDE, { now: new Date(NOW) });
  const byText = policy.evaluate(LIVE_WIDE, { now: NOW });
  assert.deepEqual(byDate, byText);
  assert.equal(policy.evaluate(LIVE_WIDE).outcome, "block");
  assert.equal(policy.evaluate(LIVE_WIDE, {}).outcome, "block");
  assert.equal(policy.evaluate(LIVE_WIDE, undefined).outcome, "block");
});

test("evaluateMany gives each action's outcome, band and score, as evaluate does", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const actions = [LIVE_WIDE, PAPER, { mode: "live", scope_count: 3 }, { mode: "live" }];
  const batch = policy.evaluateMany(actions, { now: NOW });
  assert.equal(batch.outcomes.length, actions.length);
  assert.equal(batch.bands.length, actions.length);
  assert.equal(batch.scores.length, actions.length);
  actions.forEach((action, i) => {
    const one = policy.evaluate(action, { now: NOW });
    assert.equal(batch.outcomes[i], one.outcome, `action ${i}`);
    assert.equal(batch.bands[i], one.band ?? null, `action ${i}`);
    assert.equal(batch.scores[i], one.score, `action ${i}`);
  });
  assert.deepEqual(policy.evaluateMany([], { now: NOW }), { outcomes: [], bands: [], scores: [], failed: 0 });
});

test("a policy that does not compile throws every diagnostic with line, column and path", () => {
  const source = `govgate: 1
name: broken
subject: manifest
verdicts:
  allow: auto
rules:
  - id: r1
    when: 'input.mode =='
    verdict: allow
  - id: r2
    when: 'input.x > 1'
    verdict: nonesuch
`;
  const err = throwsGovgate(() => Policy.fromYaml(source, "broken.yaml"), { kind: "policy" });
  assert.ok(err.diagnostics.length >= 2, JSON.stringify(err.diagnostics));
  for (const d of err.diagnostics) {
    assert.equal(d.file, "broken.yaml");
    assert.equal(typeof d.message, "string");
    assert.ok(d.location && d.location.line >= 1 && d.location.column >= 1, JSON.stringify(d));
    assert.equal(typeof d.path, "string");
  }
  assert.ok(err.diagnostics.some((d) => d.path.startsWith("rules[0]")), JSON.stringify(err.diagnostics));
  assert.ok(err.diagnostics.some((d) => d.path.startsWith("rules[1]")), JSON.stringify(err.diagnostics));
  assert.equal(err.path, err.diagnostics[0].path);
});

test("invalid YAML throws a policy error pointing at the line", () => {
  const err = throwsGovgate(() => Policy.fromYaml("govgate: 1\nname: [unclosed\n"), { kind: "policy" });
  assert.ok(err.diagnostics[0].location.line >= 2, JSON.stringify(err.diagnostics));
});

test("unknown, missing and mistyped fields of a policy object are reported with their paths", () => {
  const unknown = throwsGovgate(() => Policy.fromJson({ ...SINGLE_RULE, rulez: [] }), { kind: "policy", path: "rulez" });
  assert.match(unknown.message, /unknown field `rulez`/);
  // Lines and columns refer to JSON.stringify(doc, null, 2).
  assert.ok(unknown.diagnostics[0].location.line > 1, JSON.stringify(unknown.diagnostics));
  const missing = throwsGovgate(() => Policy.fromJson({ govgate: 1 }), { kind: "policy" });
  assert.match(missing.message, /missing field `name`/);
  const mistyped = throwsGovgate(() => Policy.fromJson({ ...SINGLE_RULE, rules: [{ ...SINGLE_RULE.rules[0], verdict: 7 }] }), { kind: "policy" });
  assert.equal(mistyped.path, "rules[0].verdict");
});

test("validatePolicy returns diagnostics without throwing", () => {
  assert.deepEqual(validatePolicy(SINGLE_RULE_YAML), []);
  assert.deepEqual(validatePolicy(SINGLE_RULE), []);
  assert.deepEqual(validatePolicy(JSON.stringify(SINGLE_RULE), "p.json"), []);
  const found = validatePolicy("govgate: 1\nname: x\nrules:\n  - id: a\n    when: 'input.'\n    verdict: block\n");
  assert.ok(found.length >= 1);
  assert.equal(found[0].file, "policy.yaml");
  assert.ok(found[0].location.line >= 4, JSON.stringify(found));
  throwsGovgate(() => validatePolicy(42), { path: "doc" });
});

test("wrong argument types throw a GovgateError naming the argument", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  throwsGovgate(() => Policy.fromYaml(42), { path: "source", message: /expected a string, found a number/ });
  throwsGovgate(() => Policy.fromYaml(SINGLE_RULE_YAML, 7), { path: "fileName" });
  throwsGovgate(() => Policy.fromJson([1, 2]), { path: "doc", message: /found an array/ });
  throwsGovgate(() => policy.evaluate("live"), { path: "action", message: /expected an object, found a string/ });
  throwsGovgate(() => policy.evaluate(null), { path: "action", message: /found null/ });
  throwsGovgate(() => policy.evaluate(), { path: "action", message: /found undefined/ });
  throwsGovgate(() => policy.evaluate([LIVE_WIDE]), { path: "action", message: /found an array/ });
  throwsGovgate(() => policy.evaluateJson(LIVE_WIDE), { path: "action", message: /expected a string/ });
  throwsGovgate(() => policy.evaluateJson("{not json"), { path: "action", message: /expected a string key, found `n` at line 1 column 2/ });
  throwsGovgate(() => policy.evaluateJson('{"mode": "live",\n "mode": "paper"}'), { path: "action", message: /duplicate key `mode` at line 2 column 2/ });
  throwsGovgate(() => policy.evaluateJson('{"scope_count": 1e999}'), { path: "action", message: /number `1e999` out of range/ });
  throwsGovgate(() => policy.evaluateJson('{"a": "\\ud800"}'), { path: "action", message: /lone surrogate/ });
  throwsGovgate(() => policy.evaluateJson("[1]"), { path: "action", message: /found an array/ });
  throwsGovgate(() => policy.evaluateMany(LIVE_WIDE), { path: "actions", message: /expected an array/ });
  throwsGovgate(() => policy.evaluateMany([LIVE_WIDE, 3]), { path: "actions[1]", message: /found a number/ });
  throwsGovgate(() => fingerprint("x"), { path: "action" });
});

test("bad options throw with the option's path", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, { now: 5 }), { path: "options.now", message: /Date or an RFC 3339/ });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, { now: "yesterday" }), { path: "options.now", message: /RFC 3339/ });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, { now: new Date("nope") }), { path: "options.now" });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, { nwo: NOW }), { path: "options.nwo", message: /unknown field `nwo`, expected one of `now`, `parameters`, `fingerprint`$/ });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, { fingerprint: "yes" }), { path: "options.fingerprint" });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, { parameters: [1] }), { path: "options.parameters" });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, "now"), { path: "options", message: /found a string/ });
});

test("circular, BigInt, too deep and too large inputs throw instead of trapping", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const circular = { mode: "live" };
  circular.self = { parent: circular };
  throwsGovgate(() => policy.evaluate(circular), { path: "action", message: /circular/i });
  throwsGovgate(() => policy.evaluate({ n: 10n }), { path: "action", message: /BigInt/ });

  let deep = {};
  for (let i = 0; i < 200; i++) deep = { deep };
  throwsGovgate(() => policy.evaluate(deep), { path: "action", message: /nested more than 64 levels/ });
  let veryDeep = [];
  for (let i = 0; i < 20000; i++) veryDeep = [veryDeep];
  throwsGovgate(() => policy.evaluate({ veryDeep }), { path: "action" });

  const huge = { mode: "live", blob: "x".repeat(9 << 20) };
  throwsGovgate(() => policy.evaluate(huge), { path: "action", message: /too large/ });
});

test("after any error the same Policy keeps working", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const expected = policy.evaluate(LIVE_WIDE, { now: NOW });
  const circular = {};
  circular.c = circular;
  const bad = [
    () => policy.evaluate("x"),
    () => policy.evaluate(circular),
    () => policy.evaluate(LIVE_WIDE, { now: "never" }),
    () => policy.evaluateMany([1]),
    () => policy.evaluateJson("{"),
    () => Policy.fromYaml("govgate: ["),
  ];
  for (let round = 0; round < 3; round++) {
    for (const f of bad) {
      assert.throws(f);
      assert.deepEqual(policy.evaluate(LIVE_WIDE, { now: NOW }), expected);
    }
  }
  assert.deepEqual(policy.evaluateMany([LIVE_WIDE], { now: NOW }).outcomes, ["block"]);
});

test("functions and undefined fields are dropped as JSON.stringify drops them", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const withExtras = { ...LIVE_WIDE, callback() {}, nothing: undefined };
  assert.deepEqual(policy.evaluate(withExtras, { now: NOW }), policy.evaluate(LIVE_WIDE, { now: NOW }));
});

test("fingerprint is SHA-256 of the canonical JSON: key order and overrides do not matter", () => {
  const a = fingerprint({ type: "deploy", args: { b: 2, a: 1 } });
  const b = fingerprint({ args: { a: 1, b: 2 }, type: "deploy" });
  const c = fingerprint({ type: "deploy", args: { a: 1, b: 2 }, overrides: [{ key_id: "k" }] });
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(a, b);
  assert.equal(a, c);
  assert.notEqual(a, fingerprint({ type: "deploy", args: { a: 1, b: 3 } }));
});

test("evaluate adds the fingerprint on request", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  assert.equal(policy.evaluate(LIVE_WIDE, { now: NOW }).fingerprint, undefined);
  const withPrint = policy.evaluate(LIVE_WIDE, { now: NOW, fingerprint: true });
  assert.equal(withPrint.fingerprint, fingerprint(LIVE_WIDE));
});

test("jsonSchema describes the policy document", () => {
  const schema = jsonSchema();
  assert.equal(schema.title, "PolicyDocument");
  assert.ok(schema.properties.rules);
  assert.ok(schema.$defs.RuleSpec);
  assert.deepEqual(schema.required.sort(), ["govgate", "name"]);
});

test("the published files: one wasm, ESM, CommonJS, browser and types", () => {
  const pkg = require("govgate/package.json");
  const root = require.resolve("govgate/package.json").replace(/package\.json$/, "");
  for (const file of ["govgate_bg.wasm", "govgate.d.ts", "govgate.d.cts", "node/govgate.cjs", "node/govgate.mjs", "browser/index.js", "web/govgate.js", "govgate.js", "govgate_bg.js", "README.md"]) {
    assert.ok(readFileSync(root + file).length > 0, file);
  }
  assert.equal(pkg.exports["."].node.import.default, "./node/govgate.mjs");
  assert.equal(pkg.exports["."].node.require.default, "./node/govgate.cjs");
  assert.equal(pkg.exports["."].browser.default, "./browser/index.js");
});

const examples = new URL("../../examples/policies/", import.meta.url);
const agentTrading = () => Policy.fromYaml(readFileSync(new URL("agent-trading.yaml", examples), "utf8"), "agent-trading.yaml");

test("policy.test runs a test file's suite, cases given as objects, or the policy's own tests", () => {
  const policy = agentTrading();
  const report = policy.test(readFileSync(new URL("agent-trading_test.yaml", examples), "utf8"), "agent-trading_test.yaml");
  assert.equal(report.policy, "agent-trading");
  assert.ok(report.cases.length >= 5);
  for (const c of report.cases) assert.ok(c.passed, `${c.name}: ${JSON.stringify(c.mismatches)}`);

  const single = Policy.fromYaml(SINGLE_RULE_YAML);
  const mixed = single.test([
    { name: "live and wide is blocked", input: LIVE_WIDE, expect: { outcome: "block", verdict: "deny" } },
    { name: "a wrong expectation", input: PAPER, expect: { outcome: "block" } },
  ]);
  assert.deepEqual(mixed.cases.map((c) => c.passed), [true, false]);
  assert.deepEqual(mixed.cases[1].mismatches, [{ field: "outcome", expected: "block", actual: "auto" }]);
  assert.equal(mixed.cases[1].decision.outcome, "auto");

  const own = Policy.fromJson({ ...SINGLE_RULE, tests: { cases: [{ name: "own", input: LIVE_WIDE, expect: { outcome: "block" } }] } });
  assert.deepEqual(own.test().cases.map((c) => [c.name, c.passed]), [["own", true]]);
  // The suite in `tests:` does not change the digest (tests never change decisions).
  assert.equal(own.digest, single.digest);
});

test("malformed test cases throw with the case's path; a bad test file with its line", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  throwsGovgate(() => policy.test([{ name: "x", input: LIVE_WIDE, expect: { outcome: "maybe" } }]), { path: "cases[0].expect.outcome" });
  throwsGovgate(() => policy.test([{ input: LIVE_WIDE, expect: {} }]), { path: "cases[0]", message: /missing field `name`/ });
  throwsGovgate(() => policy.test(5), { path: "cases" });
  const err = throwsGovgate(() => policy.test("cases:\n  - name: x\n    expect: {outcome: maybe}\n", "t.yaml"), { kind: "policy" });
  assert.equal(err.diagnostics[0].file, "t.yaml");
  assert.ok(err.diagnostics[0].location.line >= 2, JSON.stringify(err.diagnostics));
  assert.equal(policy.evaluate(LIVE_WIDE, { now: NOW }).outcome, "block");
});

test("parameters override the policy's defaults and are checked against their declarations", () => {
  const policy = agentTrading();
  const action = {
    actor: { id: "trader-1", roles: ["trader"] },
    type: "modify_strategy",
    args: { trading_mode: "paper", stop_loss_pct: 12, strategy_ids: [1], reversibility: "reversible" },
    context: { current_mode: "paper" },
  };
  const byDefault = policy.evaluate(action, { now: NOW });
  assert.ok(byDefault.triggers?.some((t) => t.id === "extreme_stop_loss"), JSON.stringify(byDefault.triggers));
  const relaxed = policy.evaluate(action, { now: NOW, parameters: { extreme_stop_loss_pct: 20 } });
  assert.ok(!relaxed.triggers?.some((t) => t.id === "extreme_stop_loss"), JSON.stringify(relaxed.triggers));
  throwsGovgate(() => policy.evaluate(action, { parameters: { extreme_stop_loss: 20 } }), { path: "options.parameters", message: /unknown parameter `extreme_stop_loss`/ });
  throwsGovgate(() => policy.evaluate(action, { parameters: { bulk_live_strategies: "many" } }), { path: "options.parameters", message: /bulk_live_strategies/ });
  throwsGovgate(() => policy.evaluateMany([action], { parameters: { nonesuch: 1 } }), { path: "options.parameters" });
});

test("hostile policy sources are diagnosed, never trap", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const expected = policy.evaluate(LIVE_WIDE, { now: NOW });
  const hostile = {
    "deep flow YAML": ["a: " + "[".repeat(100000), /recursion limit|nests deeper/],
    "deep block YAML": [Array.from({ length: 1500 }, (_, i) => " ".repeat(i) + "- ").join("\n"), /nests deeper than 128 levels/],
    "alias bomb": ["a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", /nodes once aliases are expanded/],
    "deep expression": [`govgate: 1\nname: x\nsubject: manifest\nrules: [{id: a, when: '${"(".repeat(5000)}1${")".repeat(5000)}', verdict: block}]\n`, /too long|too deep|nest/],
    "huge source": ["#".repeat(5 << 20), /too large: 5242880 bytes \(limit 4194304\)/],
    "NUL byte": ["govgate: 1\nname: a\u0000b\n", /unprintable/],
  };
  for (const [what, [source, message]] of Object.entries(hostile)) {
    assert.throws(() => Policy.fromYaml(source), (e) => e.name === "GovgateError" && message.test(e.message), what);
    assert.ok(validatePolicy(source).length >= 1, what);
    assert.deepEqual(policy.evaluate(LIVE_WIDE, { now: NOW }), expected, `still working after ${what}`);
  }
  assert.throws(() => Policy.fromJson(`{"a":${"[".repeat(100000)}${"]".repeat(100000)}}`), /nests deeper than 128 levels/);
});

// Decisions reach JavaScript as a tape (src/tape.rs, src/tape.js) rather than JSON text. They
// must be exactly the objects JSON.parse of the decision's JSON gives.
const ECHO_YAML = `govgate: 1
name: echo
subject: action
score: {min: 0, max: 100, aggregate: weighted_sum}
factors:
  - id: shape
    name: Shape
    weight: 1
    lookup:
      value: input.args
      cases:
        x: {points: 10, label: "Précis 😀"}
      default: {points: 50, label: Something else}
bands:
  - {name: low, upto: 30, outcome: auto}
  - {name: high, outcome: block}
`;

test("decisions are the objects JSON.parse of their JSON gives, non-ASCII text included", () => {
  const echo = Policy.fromYaml(ECHO_YAML);
  const single = Policy.fromYaml(SINGLE_RULE_YAML);
  const actions = [
    // A map where a string is expected: the error's text quotes the input, BOM, astral and all.
    { type: "t", args: { "é😀": "\ufeffx", ["__proto__"]: { a: 1 }, big: 9007199254740993, n: [1, 2.5, -0, null, true] } },
    { type: "t", args: "x" },
    { type: "t", args: "y" },
  ];
  // Interleaved with another policy's decisions: both share the module's table of names.
  for (let round = 0; round < 3; round++) {
    for (const action of actions) {
      const options = { now: NOW };
      const viaTape = echo.evaluate(action, options);
      assert.deepEqual(viaTape, JSON.parse(echo.evaluateJson(JSON.stringify(action), options)));
      assert.equal(Object.getPrototypeOf(viaTape), Object.prototype);
      assert.deepEqual(single.evaluate(LIVE_WIDE, options), JSON.parse(single.evaluateJson(JSON.stringify(LIVE_WIDE), options)));
    }
  }
  assert.equal(echo.evaluate(actions[1], { now: NOW }).factors[0].label, "Précis 😀");
  assert.match(echo.evaluate(actions[0], { now: NOW }).errors[0], /é😀.*\ufeffx/);
  const batch = echo.evaluateMany(actions, { now: NOW });
  assert.deepEqual(batch, { outcomes: ["approval", "auto", "block"], bands: ["low", "low", "high"], scores: [0, 10, 50], failed: 1 });
});

test("the tape reader makes __proto__ an own member, as JSON.parse does", async () => {
  const { readdirSync } = await import("node:fs");
  const { dirname, join } = await import("node:path");
  const { pathToFileURL } = await import("node:url");
  const root = dirname(require.resolve("govgate/package.json"));
  const find = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? find(join(dir, e.name)) : e.name === "tape.js" ? [join(dir, e.name)] : [],
    );
  // The web build ships the reader as its own module (the Node builds inline it in their glue).
  const [snippet] = find(join(root, "web"));
  assert.ok(snippet, "the package ships web/snippets/.../tape.js");
  // A private instance of the reader (a query makes it another module): the package's own
  // keeps the package's memory.
  const { tape_memory, tape_read } = await import(`${pathToFileURL(snippet)}?private`);
  const memory = new WebAssembly.Memory({ initial: 1 });
  tape_memory(memory);
  // {"__proto__": {"polluted": true}} with a map key (9) and an object (6) of one member.
  const codes = [6, 1, 9, 9, 6, 1, 9, 8, 2];
  new Float64Array(memory.buffer, 0, codes.length).set(codes);
  const text = new TextEncoder().encode("__proto__polluted");
  new Uint8Array(memory.buffer, 1024, text.length).set(text);
  const value = tape_read(0, codes.length, 1024, text.length);
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.keys(value), ["__proto__"]);
  assert.deepEqual(value, JSON.parse('{"__proto__": {"polluted": true}}'));
  assert.equal({}.polluted, undefined);
  // A corrupt tape throws instead of returning half a value.
  new Float64Array(memory.buffer, 0, 2).set([42, 0]);
  assert.throws(() => tape_read(0, 2, 1024, 0), /unknown value code/);
});

test("evaluate's options: the remembered `now` never hides a change or a mistake", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const first = policy.evaluate(LIVE_WIDE, { now: NOW });
  assert.deepEqual(policy.evaluate(LIVE_WIDE, { now: NOW }), first);
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, { now: "yesterday" }), { path: "options.now" });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, { now: NOW, nmo: 1 }), { path: "options.nmo", message: /unknown field/ });
  // An inherited `now` is not an option (as Object.keys sees it), nor is it the remembered one.
  const inherited = Object.create({ now: "2020-01-01T00:00:00Z" });
  assert.deepEqual(policy.evaluate(LIVE_WIDE, Object.assign(inherited, { now: NOW })), first);
  const hostile = new Proxy({}, { ownKeys() { throw new Error("no keys for you"); } });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, hostile), { path: "options", message: /no keys for you/ });
  assert.deepEqual(policy.evaluate(LIVE_WIDE, { now: NOW }), first);
  assert.deepEqual(policy.evaluate(LIVE_WIDE, { now: new Date(NOW) }), first);
  assert.equal(policy.evaluate(LIVE_WIDE).outcome, "block");
});

test("prototype pollution does not change a decision, and hooks that decide again from inside the reader cannot trap it", () => {
  const echo = Policy.fromYaml(ECHO_YAML);
  const action = { type: "t", args: "zz" };
  const expected = JSON.parse(echo.evaluateJson(JSON.stringify(action), { now: NOW }));
  const batchExpected = echo.evaluateMany([action, action], { now: NOW });
  // The classic pollution: writable data properties (a merge of attacker JSON can make them).
  Object.prototype.outcome = "auto";
  Object.prototype.label = "polluted";
  let decision;
  try {
    decision = echo.evaluate(action, { now: NOW });
  } finally {
    delete Object.prototype.outcome;
    delete Object.prototype.label;
  }
  assert.deepEqual(decision, expected);
  assert.equal(Object.getOwnPropertyDescriptor(decision, "outcome")?.value, "block");
  assert.equal(Object.getOwnPropertyDescriptor(decision.factors[0], "label")?.value, "Something else");

  let setterCalls = 0;
  let pushCalls = 0;
  const push = Array.prototype.push;
  // Hooks that decide again from inside the reader (only code running in the host can install
  // them): the reader never calls push; a setter on Object.prototype is called where a member
  // of its name is assigned, and its nested decision goes through JSON instead of trapping.
  Object.defineProperty(Object.prototype, "label", {
    set(v) {
      setterCalls++;
      assert.deepEqual(echo.evaluate(action, { now: NOW }), expected);
    },
    configurable: true,
  });
  Array.prototype.push = function (...items) {
    pushCalls++;
    echo.evaluate(action, { now: NOW });
    return push.apply(this, items);
  };
  let batch;
  try {
    echo.evaluate(action, { now: NOW });
    batch = echo.evaluateMany([action, action], { now: NOW });
  } finally {
    Array.prototype.push = push;
    delete Object.prototype.label;
  }
  assert.ok(setterCalls > 0);
  assert.equal(pushCalls, 0);
  assert.deepEqual(batch, batchExpected);
  assert.deepEqual(echo.evaluate(action, { now: NOW }), expected);
  echo.free();
});

test("a decision made while the tape reader is busy (a patched String.prototype.slice) neither traps nor poisons the package", () => {
  const echo = Policy.fromYaml(ECHO_YAML);
  const action = { type: "t", args: "zz" };
  const expected = JSON.parse(echo.evaluateJson(JSON.stringify(action), { now: NOW }));
  const slice = String.prototype.slice;
  const inner = [];
  String.prototype.slice = function (...args) {
    String.prototype.slice = slice;
    try {
      inner.push(echo.evaluate(action, { now: NOW }));
    } catch (e) {
      inner.push(e);
    }
    return slice.apply(this, args);
  };
  let outer;
  try {
    outer = echo.evaluate({ type: "t", args: "the reader slices this" }, { now: NOW });
  } catch (e) {
    outer = e;
  } finally {
    String.prototype.slice = slice;
  }
  assert.equal(inner.length, 1);
  assert.deepEqual(inner[0], expected, String(inner[0]));
  // The outer read may fail (the inner decision can grow the memory under it), but cleanly.
  if (outer instanceof Error) assert.equal(outer.name, "GovgateError", outer.message);
  else assert.equal(outer.factors[0].value, "the reader slices this");
  assert.deepEqual(echo.evaluate(action, { now: NOW }), expected);
  assert.deepEqual(echo.evaluate(action, { now: NOW }), expected);
  echo.free();
});

test("whatever JSON.stringify of an input throws is a GovgateError, and the Policy can still be freed", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const messageThrows = new Error("x");
  Object.defineProperty(messageThrows, "message", { get() { throw new Error("no message for you"); } });
  const numberMessage = new TypeError("x");
  numberMessage.message = 42;
  const thrown = [Object.create(null), messageThrows, numberMessage, Symbol("s"), "boom"];
  for (const value of thrown) {
    const hostile = { toJSON() { throw value; } };
    throwsGovgate(() => policy.evaluate(hostile, { now: NOW }), { path: "action" });
    throwsGovgate(() => policy.evaluateMany([hostile], { now: NOW }), { path: "actions" });
    throwsGovgate(() => policy.evaluate(LIVE_WIDE, { now: NOW, parameters: { a: hostile } }), { path: "options.parameters" });
    throwsGovgate(() => fingerprint(hostile), { path: "action" });
    assert.equal(policy.evaluate(LIVE_WIDE, { now: NOW }).outcome, "block");
  }
  throwsGovgate(() => policy.evaluate({ toJSON() { throw new Error("multi\n   line"); } }), { path: "action", message: /Error: multi line$/ });
  // An error that escaped past the Rust code would leave the Policy borrowed: free would throw.
  policy.free();
});

test("evaluate reads a `now` getter once, and decides at the time it returned", () => {
  const vector = JSON.parse(readFileSync(new URL("../../core/tests/vectors/model-deployment-exception.json", import.meta.url), "utf8"));
  const policy = Policy.fromYaml(vector.policy);
  const late = "2025-03-01T00:00:00Z";
  const status = (options) => policy.evaluate(vector.input, options).exceptions[0].status;
  assert.equal(status({ now: vector.now }), "applied");
  let reads = 0;
  const alternating = { get now() { return reads++ % 2 ? late : vector.now; } };
  const statuses = [0, 1, 2, 3].map(() => status(alternating));
  assert.equal(reads, 4);
  assert.deepEqual(statuses, ["applied", "expired", "applied", "expired"]);
});

test("revoked proxies and fake Dates are GovgateErrors, and the Policy can still be freed", () => {
  const policy = Policy.fromYaml(SINGLE_RULE_YAML);
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  throwsGovgate(() => policy.evaluateMany(revoked, { now: NOW }), { path: "actions" });
  throwsGovgate(() => policy.evaluate(revoked, { now: NOW }), { path: "action" });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, revoked), { path: "options" });
  throwsGovgate(() => policy.evaluate(LIVE_WIDE, { now: NOW, parameters: revoked }), { path: "options.parameters" });
  throwsGovgate(() => policy.test(revoked), { path: "cases" });
  throwsGovgate(() => fingerprint(revoked), { path: "action" });
  throwsGovgate(() => Policy.fromJson(revoked), { path: "doc" });
  // instanceof Date, but not a Date: Date.prototype.getTime throws on them.
  for (const now of [Object.create(Date.prototype), new Proxy(new Date(NOW), {})]) {
    throwsGovgate(() => policy.evaluate(LIVE_WIDE, { now }), { path: "options.now" });
    throwsGovgate(() => policy.evaluate(LIVE_WIDE, { now, fingerprint: true }), { path: "options.now" });
  }
  assert.equal(policy.evaluate(LIVE_WIDE, { now: NOW }).outcome, "block");
  policy.free();
});

test("policies freed and made again (their strings at reused addresses) decide with their own names", () => {
  for (let i = 0; i < 200; i++) {
    const name = `p${i % 7}-${"x".repeat(i % 5)}`;
    const policy = Policy.fromYaml(SINGLE_RULE_YAML.replace("name: live-wide", `name: ${name}`));
    const decision = policy.evaluate(LIVE_WIDE, { now: NOW });
    assert.equal(decision.policy, name);
    assert.equal(decision.policy_digest, policy.digest);
    assert.deepEqual(decision, JSON.parse(policy.evaluateJson(JSON.stringify(LIVE_WIDE), { now: NOW })));
    policy.free();
  }
});
