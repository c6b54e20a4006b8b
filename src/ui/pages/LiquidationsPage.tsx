import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function LiquidationsPage() {
  return (
    <UpcomingScreen
      title="Liquidations"
      purpose="See the vaults below the minimum collateral ratio and those at risk, and liquidate them to earn the gas reserve and 0.5% of their collateral."
      needs={["chain sync", "live price attestations", "guardian co-signing"]}
    />
  );
}
