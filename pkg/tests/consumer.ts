// A TypeScript consumer of the package, checked by `tsc --noEmit --strict` (cargo xtask
// test-pkg). Every `@ts-expect-error` line is a misuse the types must reject: if a type were
// `any`, the expected error would not happen and tsc would fail on the unused directive.

import {
  Policy,
  fingerprint,
  jsonSchema,
  validatePolicy,
  version,
  type ActionEnvelope,
  type BatchResult,
  type Decision,
  type Diagnostic,
  type EvaluateOptions,
  type GovgateError,
  type JsonValue,
  type Outcome,
  type PolicyDocument,
} from "govgate";
import initWeb, { Policy as WebPolicy } from "govgate/web";

const doc: PolicyDocument = {
  govgate: 1,
  name: "live-wide",
  subject: "manifest",
  verdicts: { allow: "auto", deny: "block" },
  rules: [{ id: "live_wide", when: 'input.mode == "live" && input.scope_count > 10', verdict: "deny" }],
  default_verdict: { verdict: "allow" },
};

const policy: Policy = Policy.fromJson(doc);
const fromText: Policy = Policy.fromYaml("govgate: 1\nname: x\n", "x.yaml");
const action: ActionEnvelope = {
  actor: { id: "agent-7", roles: ["trader"] },
  type: "trade",
  tool: "place_order",
  args: { mode: "live", scope_count: 12 },
};

const decision: Decision = policy.evaluate(action, { now: new Date(), parameters: { limit: 3 } });
const outcome: Outcome = decision.outcome;
const score: number = decision.score;
const band: string | undefined = decision.band;
const reasons: string[] = decision.reasons ?? [];
const digest: string = policy.digest;
const name: string = fromText.name;
const json: string = policy.evaluateJson(JSON.stringify(action), { now: "2026-01-01T00:00:00Z" });
const batch: BatchResult = policy.evaluateMany([action, { mode: "paper" }]);
const firstOutcome: Outcome | undefined = batch.outcomes[0];
const scores: number[] = batch.scores;
const diagnostics: Diagnostic[] = validatePolicy("govgate: 1\n");
const line: number | undefined = diagnostics[0]?.location?.line;
const schema: Record<string, JsonValue> = jsonSchema();
const print: string = fingerprint(action);
const v: string = version();
const options: EvaluateOptions = { fingerprint: true };

// Values typed by the caller's own interfaces (no index signature) are accepted.
interface Manifest {
  mode: string;
  scope_count: number;
}
const manifest: Manifest = { mode: "live", scope_count: 12 };
const fromInterface: Decision = policy.evaluate(manifest);
const manyFromInterface: BatchResult = policy.evaluateMany([manifest, manifest]);
void [fromInterface, manyFromInterface];

switch (decision.outcome) {
  case "auto":
  case "approval":
  case "block":
    break;
  default: {
    const never: never = decision.outcome;
    void never;
  }
}

try {
  Policy.fromYaml("govgate: [");
} catch (e) {
  const err = e as GovgateError;
  const kind: "policy" | "input" = err.kind;
  const all: Diagnostic[] = err.diagnostics;
  const path: string | undefined = err.path;
  void kind, all, path;
}

// --- misuse the types must reject ---

// @ts-expect-error: an outcome is auto, approval or block
const wrong: Outcome = "allow";
// @ts-expect-error: the outcome is never "allowed"
if (decision.outcome === "allowed") void 0;
// @ts-expect-error: scores are numbers
decision.score.toUpperCase();
// @ts-expect-error: an action is an object, not a string
policy.evaluate("place_order");
// @ts-expect-error: nor a number
fingerprint(42);
// @ts-expect-error: now is a Date or a string
policy.evaluate(action, { now: 1767225600000 });
// @ts-expect-error: no such option
policy.evaluate(action, { nwo: "2026-01-01T00:00:00Z" });
// @ts-expect-error: evaluateMany takes an array
policy.evaluateMany(action);
// @ts-expect-error: of objects
policy.evaluateMany(["place_order"]);
// @ts-expect-error: an action is not a boolean
policy.evaluate(true);
// @ts-expect-error: fromYaml takes source text
Policy.fromYaml(doc);
// @ts-expect-error: a policy document has a version and a name
const incomplete: PolicyDocument = { rules: [] };
// @ts-expect-error: no such section (a typo of `rules`)
const typo: PolicyDocument = { govgate: 1, name: "x", rulez: [] };
// @ts-expect-error: verdicts map to outcomes
const badVerdict: PolicyDocument = { govgate: 1, name: "x", verdicts: { allow: "yes" } };
// @ts-expect-error: the digest is read-only
policy.digest = "x";
// @ts-expect-error: policies are made by fromYaml / fromJson
new Policy();
// @ts-expect-error: the batch has no decisions, only outcomes, bands and scores
batch.decisions;

// The browser build without a bundler: initialise explicitly, then the same API.
async function inBrowser(): Promise<Decision> {
  await initWeb();
  return WebPolicy.fromJson(doc).evaluate(action);
}

void [outcome, score, band, reasons, digest, name, json, firstOutcome, scores, line, schema, print, v, options];
void [wrong, incomplete, typo, badVerdict, inBrowser];

// The evaluate-only scorer: compiled policies in, the same decisions out.
import { Policy as ScorerPolicy, fingerprint as scorerFingerprint, type Decision as ScorerDecision } from "govgate/scorer";
import initScorerWeb, { Policy as WebScorerPolicy } from "govgate/scorer/web";
import * as scorerModule from "govgate/scorer";

const compiled: Uint8Array = policy.compiled();
const scorerPolicy: ScorerPolicy = ScorerPolicy.fromCompiled(compiled);
const scored: ScorerDecision = scorerPolicy.evaluate(action, { now: "2026-01-01T00:00:00Z" });
const scoredOutcome: Outcome = scored.outcome;
const scoredJson: string = scorerPolicy.evaluateJson(JSON.stringify(action));
const scoredBatch: BatchResult = scorerPolicy.evaluateMany([action]);
const scorerPrint: string = scorerFingerprint(action);
// @ts-expect-error: the scorer compiles no policies
ScorerPolicy.fromYaml("govgate: 1\nname: x\n");
// @ts-expect-error: compiled policies are bytes, not text
ScorerPolicy.fromCompiled("GGCP");
// @ts-expect-error: the scorer runs no tests
scorerPolicy.test();
// @ts-expect-error: decisions carry no `allowed` flag
scored.allowed;
// @ts-expect-error: the scorer has no validator
scorerModule.validatePolicy("govgate: 1\n");
// @ts-expect-error: nor the policy document's schema
scorerModule.jsonSchema();
// @ts-expect-error: the scorer's policies are not compiled again
scorerPolicy.compiled();

async function scorerInBrowser(url: string): Promise<Decision> {
  await initScorerWeb();
  const response = await fetch(url);
  // @ts-expect-error: a fetched ArrayBuffer must be wrapped in a Uint8Array
  WebScorerPolicy.fromCompiled(await response.arrayBuffer());
  return WebScorerPolicy.fromCompiled(new Uint8Array(await response.arrayBuffer())).evaluate(action);
}

void [scoredOutcome, scoredJson, scoredBatch, scorerPrint, scorerInBrowser];
