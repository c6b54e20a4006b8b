import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function HealthPage() {
  return (
    <UpcomingScreen
      title="Health"
      purpose="Check that this browser agrees with the network: chain sync status, state root, price feed freshness and deviation from the exchanges, guardian availability, and alerts when something needs attention."
      needs={["chain sync", "price feed", "guardian status"]}
    />
  );
}
