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

/**
 * The raw text of a top-level member of a JSON object, as written. The input is passed to the
 * package as that text, so a double written `1.0` stays a double as it does natively
 * (`JSON.parse` would make it the integer 1).
 */
export function rawMember(text, key) {
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
