import { formatBtc, fromHex, scriptToAddress, shortHex } from "../../client/index.ts";
import { SATOSHI } from "../../protocol/index.ts";
import { useEsploraUrl } from "../queries/bitcoin.ts";
import { useAccountCustody } from "../queries/engine.ts";
import { explorerTxUrl, useSettings } from "../state/settings-store.ts";

export function PayoutsPanel({
  owner,
  showCoins = false,
}: {
  owner: string | undefined;
  showCoins?: boolean;
}) {
  const network = useSettings((s) => s.network);
  const esploraUrl = useEsploraUrl();
  const custody = useAccountCustody(owner, network);
  const c = custody.data;
  if (!owner || !c) return null;
  // A payout sent to another address ("Send BTC to") says where it goes.
  const elsewhere = (script: string) => {
    const address = scriptToAddress(fromHex(script), network);
    return address && address !== owner ? ` to ${address}` : "";
  };
  if (c.owed.length === 0 && c.settled.length === 0 && (!showCoins || c.coins.length === 0)) return null;
  return (
    <section className="card" aria-label="Payouts" data-testid="payouts">
      {c.owed.length > 0 ? (
        <>
          <h2>Payouts on their way</h2>
          <p className="muted">
            Confirmed on the ledger; the BTC reaches your wallet when the guardians' settlement transaction
            confirms (they settle every block once the payout is 6 blocks deep).
          </p>
          <ul className="plain-list" data-testid="payouts-owed">
            {c.owed.map((o) => (
              <li key={o.id} data-obligation={o.id} data-stage="confirmed">
                <strong>{formatBtc(o.sats * SATOSHI)}</strong>
                {elsewhere(o.script)} — stage 1 of 2: confirmed at block {o.height.toString()}, waiting for
                settlement (network fee share up to {formatBtc(o.maxFee * SATOSHI)})
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {c.settled.length > 0 ? (
        <>
          <h2>Settled payouts</h2>
          <ul className="plain-list" data-testid="payouts-settled">
            {c.settled.map((o) => (
              <li key={o.id} data-obligation={o.id} data-stage="settled">
                {formatBtc(o.sats * SATOSHI)}
                {elsewhere(o.script)} — stage 2 of 2: settled in{" "}
                {o.settledBy ? (
                  <a href={explorerTxUrl(network, esploraUrl, o.settledBy)} target="_blank" rel="noreferrer">
                    {shortHex(o.settledBy)}
                  </a>
                ) : (
                  "a settlement"
                )}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {showCoins && c.coins.length > 0 ? (
        <p className="muted" data-testid="vault-coins">
          Your vault's BTC sits in {c.coins.length} coin{c.coins.length === 1 ? "" : "s"} holding{" "}
          {formatBtc(c.coinSats * SATOSHI)} on Bitcoin.
        </p>
      ) : null}
    </section>
  );
}
