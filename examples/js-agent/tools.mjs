// Stand-ins for a trading agent's tools (seed 004's strategy optimizer): they only say what they
// would do.

export const tools = {
  async run_backtest({ strategy_ids }) {
    return `backtested strategies ${strategy_ids.join(", ")}`;
  },
  async modify_strategy({ strategy_ids, trading_mode, stop_loss_pct }) {
    return `set strategies ${strategy_ids.join(", ")} to ${trading_mode} with a ${stop_loss_pct}% stop loss`;
  },
  async delete_strategy({ strategy_ids }) {
    return `deleted strategies ${strategy_ids.join(", ")}`;
  },
};

/** What the agent's model proposed, in order (the calls a real agent would get from its LLM). */
export const plan = [
  {
    tool: "run_backtest",
    args: { trading_mode: "paper", stop_loss_pct: 4, strategy_ids: [42], reversibility: "reversible" },
    context: { current_mode: "paper" },
  },
  {
    tool: "modify_strategy",
    args: { trading_mode: "inactive", stop_loss_pct: 1.5, strategy_ids: [42], reversibility: "reversible" },
    context: { current_mode: "inactive" },
  },
  {
    tool: "modify_strategy",
    args: { trading_mode: "paper", stop_loss_pct: 4, strategy_ids: [42], reversibility: "reversible" },
    context: { current_mode: "paper" },
  },
  {
    tool: "modify_strategy",
    args: { trading_mode: "live", stop_loss_pct: 8, strategy_ids: [7, 9], reversibility: "effort" },
    context: { current_mode: "paper" },
  },
  {
    tool: "delete_strategy",
    args: { trading_mode: "paper", stop_loss_pct: 2, strategy_ids: [42], reversibility: "irreversible" },
    context: { current_mode: "paper" },
  },
];
