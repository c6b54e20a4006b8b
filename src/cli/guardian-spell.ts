/**
 * `zkusd guardian veto <proposal>` and `zkusd guardian approve-rotation <proposal>`: a guardian sends
 * its governance operation (spell op 0x80 veto, 0x83 approveRotation; docs/custody.md "Key epochs",
 * docs/governance.md). The indexer names a guardian operation's actor by the key in the witness of its
 * transaction's first input, so the transaction spends a coin of the guardian's CUSTODY key (its
 * P2WPKH address, printed by `--dry-run` and in every error) as input 0, carries the spell in an
 * OP_RETURN and returns the change to the same address. The key never leaves GuardianKeys.
 * `zkusd guardian fund <sats>` funds the fee account the same way (spell op 0x82, output 0 pays
 * exactly `sats` to the pool's script; docs/custody.md "The fee account").
 * Output: the txid and fee in every format (docs/cli.md).
 */
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import {
  addressToScript,
  BTC_NETWORKS,
  type BtcNetworkName,
  buildSpellPsbt,
  descriptorAddress,
  EsploraClient,
  finalizePsbt,
  type PlannedOutput,
  poolDescriptor,
  scriptToAddress,
  toHex,
  walletAccount,
  walletUtxo,
} from "../btc/index.ts";
import { encodeSpell, type SpellOperation } from "../btc/spell.ts";
import { type GuardianConfig, guardianSetOf } from "../guardian/daemon.ts";
import { GuardianKeys } from "../guardian/keys.ts";
import { encodeFundSpell, MAX_FEE_FUNDING } from "../settlement/fundSpell.ts";
import { action, CliError, EXIT, emit, type Format, parseFormat } from "./output.ts";

/** A funding of the fee account (spell op 0x82): output 0 pays `sats` to `pool` (the pool's script). */
export interface FundOperation {
  type: "fund";
  sats: bigint;
  pool: Uint8Array;
}

/** The guardian operations these commands send (spell ops 0x80, 0x83 and 0x82). */
export type GuardianOperation = Extract<SpellOperation, { type: "veto" | "approveRotation" }> | FundOperation;

const isP2wsh = (s: Uint8Array) => s.length === 34 && s[0] === 0 && s[1] === 0x20;

/** The OP_RETURN payload and the outputs before it of `op`'s transaction. */
function payloadOf(op: GuardianOperation): {
  payload: Uint8Array;
  outputs: PlannedOutput[];
  checked: boolean;
} {
  if (op.type !== "fund")
    return {
      payload: encodeSpell({ version: 1, op, attestation: new Uint8Array(0), proof: new Uint8Array(128) }),
      outputs: [],
      checked: false,
    };
  if (op.sats < 1n || op.sats > MAX_FEE_FUNDING)
    throw new CliError(`a funding of ${op.sats} sats is outside 1 to ${MAX_FEE_FUNDING} sats`);
  if (!isP2wsh(op.pool)) throw new CliError("the pool's address is not a P2WSH script");
  return {
    payload: encodeFundSpell({ vout: 0, sats: op.sats }),
    outputs: [{ script: op.pool, amount: op.sats, label: "pool" }],
    checked: true,
  };
}

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
  const { payload, outputs, checked } = payloadOf(op);
  let built: ReturnType<typeof buildSpellPsbt>;
  try {
    built = buildSpellPsbt(
      { network, wallet, walletUtxos: coins.map((c) => walletUtxo(wallet, network, c)), feeRate },
      { spell: payload, outputs, payloadChecked: checked },
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
  pool?: string;
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
function chainOf(o: SpellOptions): {
  esplora: EsploraClient;
  network: BtcNetworkName;
  config: Partial<GuardianConfig>;
} {
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
  return { esplora: new EsploraClient({ baseUrl: url, retries: 2, backoffMs: 200 }), network, config };
}

function keysOf(o: SpellOptions): GuardianKeys {
  try {
    return o.keys ? GuardianKeys.fromFile(o.keys) : GuardianKeys.fromEnv();
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/**
 * The pool's script a funding pays: --pool, else the configured federation's (the genesis set: after
 * a custody key rotation, pass the current pool's address; a funding at another script is refused
 * and owed back like any stray).
 */
function poolOf(o: SpellOptions, network: BtcNetworkName, config: Partial<GuardianConfig>): Uint8Array {
  if (o.pool) {
    try {
      return addressToScript(o.pool, network);
    } catch (error) {
      throw new CliError(`--pool ${o.pool}: ${(error as Error).message}`);
    }
  }
  if (!config.federation)
    throw new CliError("say which pool: --pool ADDRESS or --config guardian.json", EXIT.usage);
  return addressToScript(
    descriptorAddress(poolDescriptor(guardianSetOf(config.federation)), network),
    network,
  );
}

const satsArg = (value: string): bigint => {
  if (!/^\d{1,16}$/.test(value)) throw new InvalidArgumentError("expected a whole number of sats");
  return BigInt(value);
};

/** What the operation is about, for every output format. */
function subjectOf(op: GuardianOperation, network: BtcNetworkName): Record<string, string> {
  if (op.type !== "fund") return { proposalId: op.proposalId.toString() };
  return { sats: op.sats.toString(), pool: scriptToAddress(op.pool, network) ?? toHex(op.pool) };
}

/** Builds, signs and (unless --dry-run) broadcasts `op`; prints the result in the chosen format. */
async function sendGuardianSpell(
  name: string,
  build: (network: BtcNetworkName, config: Partial<GuardianConfig>) => GuardianOperation,
  o: SpellOptions,
): Promise<number> {
  const keys = keysOf(o);
  const { esplora, network, config } = chainOf(o);
  const op = build(network, config);
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
  const subject = subjectOf(op, network);
  const json = {
    operation: op.type,
    ...subject,
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
        `${c.bold(op.type === "fund" ? `${name} of ${subject.sats} sats to ${subject.pool}` : `${name} of proposal ${subject.proposalId}`)} ${o.dryRun ? c.yellow("(dry run, not sent)") : c.green("sent")}\n` +
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
      sendGuardianSpell("veto", () => ({ type: "veto", proposalId: proposalArg(proposal) }), o),
    ),
  );
  withSpellOptions(
    guardian
      .command("approve-rotation <proposal>")
      .description("approve a custody key rotation as a current guardian (spell op 0x83)"),
  ).action(
    action("guardian approve-rotation", (proposal: string, o: SpellOptions) =>
      sendGuardianSpell(
        "approveRotation",
        () => ({ type: "approveRotation", proposalId: proposalArg(proposal) }),
        o,
      ),
    ),
  );
  withSpellOptions(
    guardian
      .command("fund <sats>")
      .description("fund the fee account: pay sats to the pool's script with a fund spell (op 0x82)")
      .option("--pool <address>", "the pool's address (default: the --config federation's)"),
  ).action(
    action("guardian fund", (sats: string, o: SpellOptions) =>
      sendGuardianSpell(
        "fund",
        (network, config) => ({ type: "fund", sats: satsArg(sats), pool: poolOf(o, network, config) }),
        o,
      ),
    ),
  );
}
