import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function VaultPage() {
  return (
    <UpcomingScreen
      title="Vault"
      purpose="Open a vault by locking BTC and minting zkUSD, then adjust or close it. You will see your collateral ratio live as you type, your liquidation price, the most you can borrow and the borrowing fee, and the recovery-mode rules that apply, before your wallet signs anything."
      needs={["wallet connection", "transaction building (PSBT preview)", "in-browser proving"]}
    />
  );
}
