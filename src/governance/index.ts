/** Governance for screens and the CLI: views over the engine's governance state (rules: src/protocol/governance.ts). */
export {
  canPropose,
  currentVotingPower,
  delegateOf,
  getProposal,
  listProposals,
  type ProposalTimeline,
  type ProposalView,
  proposalThresholdAt,
  proposalTimeline,
  proposalView,
  receiptOf,
  supplyAt,
  votingPowerAt,
} from "./views.ts";
