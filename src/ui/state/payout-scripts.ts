/**
 * The "Send BTC to" scripts this browser named for an account (docs/custody.md "Payout destinations"):
 * an obligation records where it is paid, not who asked, so the Payouts panel lists the account's
 * own address script plus these. Kept in localStorage per account, newest first, at most 20.
 */
const MAX_REMEMBERED = 20;
const key = (owner: string) => `zkusd:payout-scripts:${owner}`;

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage disabled: the panel shows the wallet's own payouts only
  }
}

/** Scripts (lowercase hex) the account's payouts were sent to from this browser. */
export function rememberedPayoutScripts(owner: string): string[] {
  try {
    const raw = storage()?.getItem(key(owner));
    const list: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(list)
      ? list.filter((s): s is string => typeof s === "string" && /^[0-9a-f]+$/.test(s))
      : [];
  } catch {
    return [];
  }
}

/** Remembers that `owner` named `scriptHex` as a payout destination. */
export function rememberPayoutScript(owner: string, scriptHex: string): void {
  const s = scriptHex.toLowerCase();
  const list = [s, ...rememberedPayoutScripts(owner).filter((x) => x !== s)].slice(0, MAX_REMEMBERED);
  try {
    storage()?.setItem(key(owner), JSON.stringify(list));
  } catch {
    // storage full or disabled: the payout still happens, it is only not listed here
  }
}
