// The same package through `require` (CommonJS types: govgate.d.cts).

import govgate = require("govgate");

const policy: govgate.Policy = govgate.Policy.fromYaml("govgate: 1\nname: x\n");
const decision: govgate.Decision = policy.evaluate({ type: "deploy" });
const outcome: govgate.Outcome = decision.outcome;
// @ts-expect-error: decisions carry no `allowed` flag
decision.allowed;

void outcome;
