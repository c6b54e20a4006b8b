import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function GovernancePage() {
  return (
    <UpcomingScreen
      title="Governance"
      purpose="Create proposals to change protocol parameters, vote with your zkUSD (for, against, abstain), delegate your votes, and follow each proposal through its timelock and the guardian veto."
      needs={["chain sync", "governance operations in the engine"]}
    />
  );
}
