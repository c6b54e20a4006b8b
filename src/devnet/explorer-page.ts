/**
 * The devnet's readable transaction page (GET /explorer/tx/<txid>): what the app links to on regtest,
 * where no public explorer exists (mempool.space on the other networks). Plain HTML, no scripts, light
 * and dark, readable at 390 px: status, fee, inputs and outputs in BTC, and the zkUSD spell decoded
 * from the OP_RETURN output. Built from the same Esplora JSON the devnet serves at /tx/<txid>.
 */
import { opReturnPayload } from "../btc/psbt-preview.ts";
import { lenientHexBytes } from "../btc/scripts.ts";
import { hasSpellMagic, tryDecodeSpell } from "../btc/spell.ts";

interface TxOut {
  scriptpubkey: string;
  scriptpubkey_type: string;
  scriptpubkey_address?: string;
  value: number;
}

export interface ExplorerTx {
  txid: string;
  vin: { txid: string; vout: number; prevout: TxOut | null; is_coinbase: boolean }[];
  vout: TxOut[];
  size: number;
  weight: number;
  fee: number;
  status: { confirmed: boolean; block_height?: number; block_time?: number };
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Sats as BTC with 8 decimals, exactly (integer arithmetic). */
const btc = (sats: number) => {
  const s = BigInt(sats);
  return `${s / 100_000_000n}.${(s % 100_000_000n).toString().padStart(8, "0")} BTC`;
};

function spellLine(out: TxOut): string | null {
  if (!out.scriptpubkey.startsWith("6a")) return null;
  const payload = opReturnPayload(lenientHexBytes(out.scriptpubkey));
  if (!payload || !hasSpellMagic(payload)) return "OP_RETURN data";
  const d = tryDecodeSpell(payload);
  if (!d.ok) return `zkUSD spell that does not decode (${d.error.message})`;
  const fields = Object.entries(d.spell.op)
    .filter(([k]) => k !== "type")
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(", ") : String(v)}`)
    .join("; ");
  return `zkUSD spell: ${d.spell.op.type}${fields ? ` (${fields})` : ""}${d.spell.attestation.length ? ", price attestation attached" : ""}`;
}

export function explorerTxPage(tx: ExplorerTx, tip: number): string {
  const vsize = Math.ceil(tx.weight / 4);
  const status = tx.status.confirmed
    ? `Confirmed in block ${tx.status.block_height} (${tip - (tx.status.block_height ?? tip) + 1} confirmations)${
        tx.status.block_time
          ? `, ${new Date(tx.status.block_time * 1000).toISOString().replace("T", " ").slice(0, 19)} UTC`
          : ""
      }`
    : "Waiting in the mempool (not confirmed yet)";
  const inputs = tx.vin
    .map((i) =>
      i.is_coinbase
        ? "<li>New coins (coinbase)</li>"
        : `<li><span class="addr">${esc(i.prevout?.scriptpubkey_address ?? i.prevout?.scriptpubkey_type ?? "unknown")}</span> <b>${i.prevout ? btc(i.prevout.value) : "?"}</b> <a href="${esc(i.txid)}">from ${esc(i.txid.slice(0, 12))}…:${i.vout}</a></li>`,
    )
    .join("");
  const outputs = tx.vout
    .map((o) => {
      const spell = spellLine(o);
      return `<li><span class="addr">${esc(spell ?? o.scriptpubkey_address ?? o.scriptpubkey_type)}</span> <b>${btc(o.value)}</b></li>`;
    })
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Transaction ${esc(tx.txid.slice(0, 16))}… · regtest devnet</title>
<style>
:root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.5}
body{max-width:860px;margin:0 auto;padding:16px}
code,.addr{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
ul{padding-left:1.2em} li{margin:4px 0} dt{font-weight:600} dd{margin:0 0 8px}
</style></head><body>
<h1>Transaction</h1>
<p><code>${esc(tx.txid)}</code></p>
<dl>
<dt>Status</dt><dd>${esc(status)}</dd>
<dt>Network fee</dt><dd>${btc(tx.fee)} (${tx.fee.toLocaleString("en-US")} sats, ${(tx.fee / vsize).toFixed(1)} sat/vB)</dd>
<dt>Size</dt><dd>${vsize} vB (${tx.size} bytes)</dd>
</dl>
<h2>Inputs (${tx.vin.length})</h2><ul>${inputs}</ul>
<h2>Outputs (${tx.vout.length})</h2><ul>${outputs}</ul>
<p><small>Regtest devnet explorer. Raw data: <a href="../../tx/${esc(tx.txid)}">Esplora JSON</a>.</small></p>
</body></html>`;
}
