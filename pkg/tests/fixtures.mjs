// Shared fixtures of the package tests.

/** The single-rule workload of the budgets: one first-match rule over a manifest. */
export const SINGLE_RULE_YAML = `govgate: 1
name: live-wide
subject: manifest
verdicts:
  allow: auto
  deny: block
rules:
  - id: live_wide
    when: 'input.mode == "live" && input.scope_count > 10'
    verdict: deny
default_verdict:
  verdict: allow
`;

/** The same policy as an object (what `Policy.fromJson` takes). */
export const SINGLE_RULE = {
  govgate: 1,
  name: "live-wide",
  subject: "manifest",
  verdicts: { allow: "auto", deny: "block" },
  rules: [{ id: "live_wide", when: 'input.mode == "live" && input.scope_count > 10', verdict: "deny" }],
  default_verdict: { verdict: "allow" },
};

export const LIVE_WIDE = { mode: "live", scope_count: 12 };
export const PAPER = { mode: "paper", scope_count: 12 };
export const NOW = "2026-01-01T00:00:00Z";
