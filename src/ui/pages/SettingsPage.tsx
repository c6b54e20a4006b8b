import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function SettingsPage() {
  return (
    <UpcomingScreen
      title="Settings"
      purpose="Choose the network and Esplora URL, the exchanges used to cross-check prices and the guardian set, with a clear warning when you are on a development setup."
      needs={["network configuration and storage"]}
    />
  );
}
