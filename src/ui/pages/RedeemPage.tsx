import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function RedeemPage() {
  return (
    <UpcomingScreen
      title="Redeem"
      purpose="Swap zkUSD for BTC at face value minus the redemption fee. You will see the BTC you receive, the fee and which vaults (lowest collateral ratio first) the BTC comes from."
      needs={["wallet connection", "chain sync", "guardian co-signing"]}
    />
  );
}
