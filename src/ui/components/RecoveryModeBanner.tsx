import { formatPercent } from "../../client/index.ts";

export function RecoveryModeBanner({ tcr, ccr }: { tcr: bigint; ccr: bigint }) {
  return (
    <div className="banner banner-danger" role="alert" data-testid="recovery-mode-banner">
      <strong>Recovery mode.</strong> The total collateral ratio is {formatPercent(tcr)}, below the critical{" "}
      {formatPercent(ccr)}. Vaults below {formatPercent(ccr)} can be liquidated, borrowing carries no fee,
      collateral withdrawals are paused, and new debt must not lower a vault's ratio.
    </div>
  );
}
