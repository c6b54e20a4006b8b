import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function StabilityPoolPage() {
  return (
    <UpcomingScreen
      title="Stability pool"
      purpose="Deposit zkUSD to absorb the debt of liquidated vaults and earn their BTC at a discount. Withdraw at any time, and claim your BTC gains to your wallet or into your vault."
      needs={["wallet connection", "chain sync", "transaction building (PSBT preview)"]}
    />
  );
}
