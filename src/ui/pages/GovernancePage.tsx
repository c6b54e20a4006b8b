import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function GovernancePage() {
  return (
    <UpcomingScreen
      title="Governance"
      purpose="Propose parameter changes, vote for, against or abstain with your zkUSD, delegate your votes, and follow each proposal through voting, the timelock and execution, with the guardians' veto shown."
      needs={[
        "the governance operations in the engine (being added now)",
        "their spell op codes in the Bitcoin layer",
        "the engine worker's governance views",
      ]}
    />
  );
}
