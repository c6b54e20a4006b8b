import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function ActivityPage() {
  return (
    <UpcomingScreen
      title="Activity"
      purpose="Explore every protocol event (vaults, pool, liquidations, redemptions, transfers, governance) by block, type, vault or account, with filters and pagination, and spells the engine rejected."
      needs={["chain sync and the event store"]}
    />
  );
}
