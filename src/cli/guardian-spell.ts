/**
 * `zkusd guardian veto <proposal>` and `zkusd guardian approve-rotation <proposal>`: a guardian sends
 * its governance operation (spell op 0x80 veto, 0x83 approveRotation; docs/custody.md "Key epochs",
 * docs/governance.md). The indexer names a guardian operation's actor by the key in the witness of its
 * transaction's first input, so the transaction spends a coin of the guardian's CUSTODY key (its
 * P2WPKH address, printed by `--dry-run` and in every error) as input 0, carries the spell in an
 * OP_RETURN and returns the change to the same address. The key never leaves GuardianKeys.
 * Output: the txid and fee in every format (docs/cli.md).
 */
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import {
  BTC_NETWORKS,
  type BtcNetworkName,
  buildSpellPsbt,
  EsploraClient,
  finalizePsbt,
  walletAccount,
  walletUtxo,
} from "../btc/index.ts";
import { encodeSpell, type SpellOperation } from "../btc/spell.ts";
import type { GuardianConfig } from "../guardian/daemon.ts";
import { GuardianKeys } from "../guardian/keys.ts";
import { action, CliError, EXIT, emit, type Format, parseFormat } from "./output.ts";

/** The guardian operations this command sends (spell ops 0x80 and 0x83). */
export type GuardianOperation = Extract<SpellOperation, { type: "veto" | "approveRotation" }>;

/** A coin of the guardian's custody address (sats). */
export interface GuardianCoin {
  txid: string;
  vout: number;
  value: bigint;
}

export interface GuardianSpellTx {
  /** The custody key's P2WPKH address: input 0 spends its coin (the actor). */
  from: string;
  txid: string;
  hex: string;
  fee: bigint;
  vsize: number;
  /** sat/vB. */
  feeRate: number;
}

/** Most a guardian operation may pay in fees (sat/vB): a typo must not burn the coin. */
export const MAX_GUARDIAN_FEE_RATE = 1_000;

/**
 * The signed transaction carrying `op`, from the guardian's custody-key coins (input 0 is one of
 * them, as the indexer requires of a guardian's operation). Throws CliError in plain words.
 */
export function guardianSpellTx(
  keys: GuardianKeys,
  network: BtcNetworkName,
  coins: readonly GuardianCoin[],
  op: GuardianOperation,
  feeRate: number,
): GuardianSpellTx {
  if (!Number.isFinite(feeRate) || feeRate < 1 || feeRate > MAX_GUARDIAN_FEE_RATE)
    throw new CliError(`fee rate ${feeRate} sat/vB is outside 1..${MAX_GUARDIAN_FEE_RATE}`);
  const wallet = walletAccount(keys.custodyPublicKey, "p2wpkh", network);
  if (coins.length === 0)
    throw new CliError(
      `the custody key's address ${wallet.address} holds no confirmed coin; a guardian operation spends one (send it a few thousand sats)`,
      EXIT.unavailable,
    );
  const spell = encodeSpell({ version: 1, op, attestation: new Uint8Array(0), proof: new Uint8Array(128) });
  let built: ReturnType<typeof buildSpellPsbt>;
  try {
    built = buildSpellPsbt(
      { network, wallet, walletUtxos: coins.map((c) => walletUtxo(wallet, network, c)), feeRate },
      { spell },
    );
  } catch (error) {
    throw new CliError(`${wallet.address}: ${(error as Error).message}`, EXIT.unavailable);
  }
  const signed = keys.signInputs(built.psbt, built.signInputs[wallet.address] ?? []);
  const final = finalizePsbt(signed);
  return {
    from: wallet.address,
    txid: final.txid,
    hex: final.hex,
    fee: final.fee,
    vsize: final.vsize,
    feeRate,
  };
}

interface SpellOptions {
  config?: string;
  esplora?: string;
  network?: string;
  keys?: string;
  feeRate?: string;
  dryRun?: boolean;
  format: Format;
}

const proposalArg = (value: string): bigint => {
  if (!/^\d{1,18}$/.test(value)) throw new InvalidArgumentError("expected a proposal id (a whole number)");
  return BigInt(value);
};

/** Where to read coins and broadcast, and on which network: --esplora/--network or the daemon config. */
function chainOf(o: SpellOptions): { esplora: EsploraClient; network: BtcNetworkName } {
  let config: Partial<GuardianConfig> = {};
  if (o.config) {
    try {
      config = JSON.parse(readFileSync(o.config, "utf8")) as GuardianConfig;
    } catch (error) {
      throw new CliError(`config ${o.config}: ${(error as Error).message}`);
    }
  }
  const url = o.esplora ?? config.esploraUrl;
  const network = (o.network ?? config.federation?.network) as BtcNetworkName | undefined;
  if (!url || !network)
    throw new CliError("say where: --config guardian.json, or --esplora URL and --network", EXIT.usage);
  if (!BTC_NETWORKS.includes(network))
    throw new CliError(`network ${network} is not one of ${BTC_NETWORKS.join(", ")}`);
  return { esplora: new EsploraClient({ baseUrl: url, retries: 2, backoffMs: 200 }), network };
}

function keysOf(o: SpellOptions): GuardianKeys {
  try {
    return o.keys ? GuardianKeys.fromFile(o.keys) : GuardianKeys.fromEnv();
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** Builds, signs and (unless --dry-run) broadcasts `op`; prints the result in the chosen format. */
async function sendGuardianSpell(name: string, op: GuardianOperation, o: SpellOptions): Promise<number> {
  const keys = keysOf(o);
  const { esplora, network } = chainOf(o);
  const from = walletAccount(keys.custodyPublicKey, "p2wpkh", network).address;
  const utxos = await esplora.addressUtxos(from).catch((error: Error) => {
    throw new CliError(`reading ${from}'s coins: ${error.message}`, EXIT.unavailable);
  });
  const coins = utxos
    .filter((u) => u.status.confirmed)
    .map((u) => ({ txid: u.txid, vout: u.vout, value: BigInt(u.value) }));
  const feeRate = o.feeRate !== undefined ? Number(o.feeRate) : await marketRate(esplora);
  const tx = guardianSpellTx(keys, network, coins, op, feeRate);
  if (!o.dryRun)
    await esplora.broadcast(tx.hex).catch((error: Error) => {
      throw new CliError(`broadcast: ${error.message}`, EXIT.unavailable);
    });
  const json = {
    operation: op.type,
    proposalId: op.proposalId.toString(),
    guardian: keys.custodyPublicKeyHex,
    from: tx.from,
    txid: tx.txid,
    fee: tx.fee.toString(),
    feeRate: tx.feeRate,
    vsize: tx.vsize,
    broadcast: !o.dryRun,
    ...(o.dryRun ? { hex: tx.hex } : {}),
  };
  const rows = Object.entries(json).map(([k, v]) => [k, String(v)]);
  emit(
    {
      json,
      table: { columns: ["field", "value"], rows },
      text: (c) =>
        `${c.bold(`${name} of proposal ${json.proposalId}`)} ${o.dryRun ? c.yellow("(dry run, not sent)") : c.green("sent")}\n` +
        `txid ${tx.txid}\nfrom ${tx.from} (custody key ${json.guardian})\nfee ${json.fee} sats at ${tx.feeRate} sat/vB` +
        (o.dryRun ? `\n${tx.hex}` : ""),
      minimal: o.dryRun ? tx.hex : tx.txid,
    },
    o.format,
  );
  return EXIT.ok;
}

/** The next-blocks estimate (sat/vB, rounded up), or 1 when the host gives none. */
async function marketRate(esplora: EsploraClient): Promise<number> {
  try {
    const est = await esplora.feeEstimates();
    return Math.max(1, Math.ceil(est["2"] ?? est["1"] ?? 1));
  } catch {
    return 1;
  }
}

const withSpellOptions = (cmd: Command): Command =>
  cmd
    .option("--config <file>", "the guardian's daemon config (its esploraUrl and network)")
    .option("--esplora <url>", "Esplora API to read coins from and broadcast to")
    .option("--network <name>", `one of ${BTC_NETWORKS.join(", ")}`)
    .option("--keys <file>", "key file {custodyKey, oracleKey}; default: the ZKUSD_GUARDIAN_* variables")
    .option("--fee-rate <satPerVb>", "fee rate (default: the host's 2-block estimate)")
    .option("--dry-run", "build and sign, print the transaction, do not broadcast")
    .option("--format <format>", "text, table, json or minimal", parseFormat, "text" as Format);

export function registerGuardianSpells(guardian: Command): void {
  withSpellOptions(
    guardian
      .command("veto <proposal>")
      .description("veto a governance proposal with this guardian's custody key (spell op 0x80)"),
  ).action(
    action("guardian veto", (proposal: string, o: SpellOptions) =>
      sendGuardianSpell("veto", { type: "veto", proposalId: proposalArg(proposal) }, o),
    ),
  );
  withSpellOptions(
    guardian
      .command("approve-rotation <proposal>")
      .description("approve a custody key rotation as a current guardian (spell op 0x83)"),
  ).action(
    action("guardian approve-rotation", (proposal: string, o: SpellOptions) =>
      sendGuardianSpell("approveRotation", { type: "approveRotation", proposalId: proposalArg(proposal) }, o),
    ),
  );
}
