// The gate between an agent's plan and its tools: every tool call is scored by govgate, locally,
// before it runs. `auto` runs, `block` is refused with the policy's reasons, `approval` goes to
// the `onApproval` hook.
//
// The gate takes a compiled `Policy` rather than importing govgate itself, so the same code runs
// with the package from npm (agent.mjs) and in the package's own tests.

/**
 * What happens to a call that needs a human, until the govgate server's approvals API exists:
 * the call is held, not run, and the result says who must approve it.
 *
 * THE HOOK FOR THE SERVER: replace this with a function that submits `action` (bound to
 * `decision.fingerprint` and `decision.policy_digest`) to the server's approvals API, waits for
 * the quorum, rejection or expiry, and calls `execute()` only when approved.
 *
 * @param {object} action the action envelope that was scored
 * @param {import("govgate").Decision} decision
 * @param {() => Promise<unknown>} execute runs the tool call
 */
export async function holdForApproval(action, decision, execute) {
  void execute;
  return { status: "held", approval: decision.approval, decision };
}

export class ToolGate {
  /**
   * @param {import("govgate").Policy} policy the compiled policy (compile once, score many calls)
   * @param {object} who the agent and the human it acts for
   * @param {{id: string, roles?: string[], owner?: string}} who.actor
   * @param {string} who.agent
   * @param {object} [hooks]
   * @param {typeof holdForApproval} [hooks.onApproval] what to do with calls that need a human
   * @param {(action: object, decision: import("govgate").Decision) => unknown} [hooks.onDecision]
   *   called with every local decision; THE HOOK FOR THE SERVER'S AUDIT TRAIL: report each
   *   decision there so the audit trail and insights see what the agent did locally too
   */
  constructor(policy, { actor, agent }, { onApproval = holdForApproval, onDecision = () => {} } = {}) {
    this.policy = policy;
    this.actor = actor;
    this.agent = agent;
    this.onApproval = onApproval;
    this.onDecision = onDecision;
  }

  /** The action envelope govgate scores for a tool call. */
  envelope(call) {
    return {
      actor: this.actor,
      agent: this.agent,
      type: call.type ?? call.tool,
      tool: call.tool,
      args: call.args ?? {},
      context: call.context ?? {},
    };
  }

  /**
   * Scores a tool call and, depending on the outcome, runs it, refuses it, or hands it to
   * `onApproval`.
   *
   * @param {{tool: string, type?: string, args?: object, context?: object}} call
   * @param {(args: object) => Promise<unknown>} tool the implementation
   */
  async run(call, tool) {
    const action = this.envelope(call);
    const decision = this.policy.evaluate(action, { fingerprint: true });
    await this.onDecision(action, decision);
    switch (decision.outcome) {
      case "auto":
        return { status: "ran", result: await tool(action.args), decision };
      case "block":
        return { status: "refused", reasons: decision.reasons ?? [], decision };
      case "approval":
        return this.onApproval(action, decision, () => tool(action.args));
      default:
        throw new Error(`unknown outcome ${decision.outcome}`);
    }
  }
}
