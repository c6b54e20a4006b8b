import { UpcomingScreen } from "../components/UpcomingScreen.tsx";

export default function BackupPage() {
  return (
    <UpcomingScreen
      title="Backup"
      purpose="Export the protocol state this browser has verified as a single checksummed file, and restore it on another device after its checksum and state root are verified."
      needs={["local storage (IndexedDB)", "backup format"]}
    />
  );
}
