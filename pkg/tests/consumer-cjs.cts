// The same package through `require` (CommonJS types: govgate.d.cts).

import govgate = require("govgate");

const policy: govgate.Policy = govgate.Policy.fromYaml("govgate: 1\nname: x\n");
const decision: govgate.Decision = policy.evaluate({ type: "deploy" });
const outcome: govgate.Outcome = decision.outcome;
// @ts-expect-error: decisions carry no `allowed` flag
decision.allowed;

void outcome;

import scorer = require("govgate/scorer");

const loaded: scorer.Policy = scorer.Policy.fromCompiled(policy.compiled());
const scored: scorer.Decision = loaded.evaluate({ type: "deploy" });
// @ts-expect-error: the scorer compiles no policies
scorer.Policy.fromJson({});

void scored;
