/** What to do next after each governance refusal (the engine's own sentence is shown above it). */
import type { ProtocolErrorCode } from "../../protocol/errors.ts";
import { formatCount } from "../format.ts";
import { formatBlockTime } from "./describe.ts";

/** The proposal facts an advice sentence can mention. */
interface ProposalFacts {
  snapshot: bigint;
  timeline: { eta: bigint; endTime: bigint };
}

export function governanceAdvice(code: ProtocolErrorCode, p?: ProposalFacts): string | undefined {
  switch (code) {
    case "noVotingPower":
      return p
        ? `Voting power is the zkUSD you held (or was delegated to you) at block ${formatCount(p.snapshot)}, before the proposal was made; zkUSD received later does not count for it.`
        : "Voting power is the zkUSD you hold or is delegated to you.";
    case "alreadyVoted":
      return "Each account votes once per proposal; your vote is shown above.";
    case "votingClosed":
      return "Voting has ended; the proposal can be queued if it passed.";
    case "timelockNotElapsed":
      return p ? `It can be executed from ${formatBlockTime(p.timeline.eta)}.` : undefined;
    case "proposalThresholdNotMet":
      return "Hold or be delegated more zkUSD before the block you propose in; power is read at the block before the proposal.";
    case "invalidParameter":
      return "Choose a value within the bounds shown under the field; MCR must stay at or below CCR and the fee floor at or below the cap.";
    case "parameterNotGovernable":
      return "Pick another parameter: the gas reserve and the initial price are fixed.";
    case "invalidProposal":
      return "A proposal carries one to ten actions.";
    case "proposalExpired":
      return "Its grace period has passed; make a new proposal.";
    case "notProposer":
      return "Only the account that made the proposal can cancel it.";
    case "notDelegated":
      return "Your votes are already your own.";
    default:
      return undefined;
  }
}
