/**
 * The co-signing policy (SPEC §2 custody): a guardian signs a PSBT's vault and pool inputs only when
 * the transaction does exactly what the spell does to its own replayed state. It:
 *
 *  1. finds the one spell output and the actor: the owner of input 0 as the chain says it (the previous
 *     transaction's own bytes, hashed to its txid), never the PSBT's witnessUtxo (SPEC §2a rule 4);
 *  2. requires a fresh attested price for operations that move BTC on a price (never a stale one);
 *  3. runs the indexer's own spell check (src/indexer applySpell: attestation quorum and price,
 *     declared time, Groth16 proof against roots it computes itself, engine rules) on a clone of its
 *     state, and reads what the engine pays from the events (paidSats);
 *  4. recognises every vault and pool input from its witness script (this federation's keys, the
 *     owner key of the account the engine names), checks each one exists unspent on chain with that
 *     script and amount, that every UTXO of a vault being emptied is spent, and that none was already
 *     signed into another transaction (SpendLedger);
 *  5. derives the outputs the protocol funds must make — payouts to the actor, the rest back to the
 *     vault or into the pool — and requires each exactly (script and amount); every other output must
 *     be change to the actor's own address;
 *  6. reserves the outpoints in the spend ledger in one synchronous check-and-record (durable; of two
 *     rival requests for one outpoint only the first gets there), then signs (SIGHASH_ALL only).
 *
 * Anything else is refused with the reason, and nothing is signed.
 */
import { SigHash, Transaction } from "@scure/btc-signer";
import {
  type BtcNetworkName,
  descriptorAddress,
  type EsploraClient,
  fromHex,
  type GuardianSet,
  hasSpellMagic,
  type Outspend,
  opReturnPayload,
  outpoint,
  type PoolDescriptor,
  parseCustodyScript,
  parsePsbt,
  poolDescriptor,
  type Spell,
  scriptToAddress,
  TX_OPTS,
  toHex,
  toOperation,
  tryDecodeSpell,
  type VaultDescriptor,
  walletAccount,
} from "../btc/index.ts";
import { applySpell, type VerifierConfig } from "../indexer/index.ts";
import { decodeAttestation } from "../oracle/index.ts";
import { cloneStateWithRoot, type Operation, type ProtocolEvent, type State } from "../protocol/index.ts";
import type { GuardianKeys } from "./keys.ts";
import type { SpendLedger } from "./ledger.ts";

export type RefusalCode =
  | "invalidPsbt"
  | "noSpell"
  | "invalidSpell"
  | "badAttestation"
  | "stalePrice"
  | "badProof"
  | "engineRejects"
  | "unsupported"
  | "nothingToSign"
  | "unknownInput"
  | "inputMismatch"
  | "alreadySpending"
  | "outputMismatch"
  | "changeMismatch";

export type CosignResult =
  | {
      ok: true;
      /** The PSBT with this guardian's signatures on the custody inputs. */
      psbt: Uint8Array;
      signedInputs: number[];
      op: Operation["type"];
      txid: string;
      /** "verified" (circuit), or "replayOnly" for operations without a circuit yet. */
      proof: "verified" | "replayOnly";
    }
  | { ok: false; code: RefusalCode; reason: string };

export interface CosignDeps {
  state(): State;
  network: BtcNetworkName;
  /** The current custody set: governance's (rotateGuardians) once set, else the configured one. */
  guardians(): GuardianSet;
  /** The indexer's spell checks with the current oracle keys: the same rules the chain applies. */
  verifier(): VerifierConfig;
  esplora: EsploraClient;
  ledger: SpendLedger;
  keys: GuardianKeys;
  /** Wall clock, ms (the price freshness check). */
  now(): number;
  /** Oldest attestation accepted for moving BTC, seconds. Default 300 (SPEC §4 oracle staleness). */
  maxPriceAgeSec?: number;
}

const SAT = 10n ** 10n;
const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const refuse = (code: RefusalCode, reason: string): CosignResult => ({ ok: false, code, reason });

/** Operations whose BTC moves need the guardians, and so a fresh attested price. */
const PRICED = new Set<Operation["type"]>([
  "adjustVault",
  "closeVault",
  "liquidate",
  "liquidateBatch",
  "liquidateList",
  "redeem",
]);

function sameSet(a: GuardianSet, b: GuardianSet): boolean {
  const hex = (s: GuardianSet) => s.keys.map(toHex).sort().join();
  return a.threshold === b.threshold && a.keys.length === b.keys.length && hex(a) === hex(b);
}

/** The addresses a wallet key pays from (P2WPKH, P2SH-P2WPKH): how a vault's owner key maps to an account. */
function addressesOfKey(key: Uint8Array, network: BtcNetworkName): string[] {
  return [walletAccount(key, "p2wpkh", network).address, walletAccount(key, "p2sh-p2wpkh", network).address];
}

interface CustodyInput {
  index: number;
  outpoint: string;
  amount: bigint;
  descriptor: VaultDescriptor | PoolDescriptor;
  /** The engine account of a vault input (its owner key's address that the engine knows). */
  owner?: string;
}

interface Expected {
  script: Uint8Array;
  amount: bigint;
  what: string;
}

export async function reviewAndSign(deps: CosignDeps, psbtBytes: Uint8Array): Promise<CosignResult> {
  const { network } = deps;
  let tx: ReturnType<typeof parsePsbt>;
  try {
    tx = parsePsbt(psbtBytes);
  } catch (error) {
    return refuse("invalidPsbt", (error as Error).message);
  }
  if (tx.inputsLength === 0 || tx.outputsLength === 0)
    return refuse("invalidPsbt", "the PSBT has no inputs or no outputs");

  const guardians = deps.guardians();
  if (!guardians.keys.some((k) => eq(k, deps.keys.custodyPublicKey)))
    return refuse("unknownInput", "this guardian's key is not in the current guardian set (rotated out)");

  // 1. The spell and the actor.
  let spell: Spell | undefined;
  let spellVout = -1;
  for (let i = 0; i < tx.outputsLength; i++) {
    const payload = opReturnPayload(tx.getOutput(i).script!);
    if (!payload && tx.getOutput(i).script![0] === 0x6a)
      return refuse("invalidSpell", `output ${i} is an OP_RETURN that is not a spell`);
    if (!payload) continue;
    if (!hasSpellMagic(payload))
      return refuse("invalidSpell", `output ${i} is an OP_RETURN that is not a spell`);
    if (spell) return refuse("invalidSpell", "the transaction carries more than one spell");
    const decoded = tryDecodeSpell(payload);
    if (!decoded.ok) return refuse("invalidSpell", decoded.error.message);
    spell = decoded.spell;
    spellVout = i;
  }
  if (!spell) return refuse("noSpell", "the transaction carries no spell");
  if (tx.getOutput(spellVout).amount !== 0n)
    return refuse("invalidSpell", "the spell output must carry 0 sats");
  const first = tx.getInput(0);
  if (!first.witnessUtxo) return refuse("invalidPsbt", "input 0 has no witnessUtxo (the actor is unknown)");
  if (first.witnessScript)
    return refuse("invalidPsbt", "input 0 must be the actor's wallet input, not a vault or pool");
  // 2. A fresh price for anything that moves BTC on a price (checked before the chain and the quorum, cheapest first).
  if (PRICED.has(spell.op.type)) {
    if (spell.attestation.length === 0)
      return refuse(
        "stalePrice",
        `a ${spell.op.type} spell that moves BTC must carry a fresh price attestation`,
      );
    let timestamp: number;
    try {
      timestamp = decodeAttestation(spell.attestation).timestamp;
    } catch (error) {
      return refuse("badAttestation", `the attestation does not decode: ${(error as Error).message}`);
    }
    const ageSec = Math.floor(deps.now() / 1000) - timestamp;
    const maxAge = deps.maxPriceAgeSec ?? 300;
    if (ageSec > maxAge)
      return refuse(
        "stalePrice",
        `the attested price is ${ageSec} s old (signed at ${timestamp}); the limit is ${maxAge} s`,
      );
    if (ageSec < -60) return refuse("stalePrice", `the attestation is dated ${-ageSec} s in the future`);
  }

  // The actor is whoever owns the real previous output of input 0: read from its transaction's own
  // bytes (checked against the txid), never from the PSBT's witnessUtxo, which the sender writes.
  const firstPoint = { txid: toHex(first.txid!), vout: first.index! };
  const real = await previousOutput(deps.esplora, firstPoint.txid, firstPoint.vout);
  if (!real)
    return refuse(
      "inputMismatch",
      `input 0 (${outpoint(firstPoint)}) does not exist on chain or in the mempool`,
    );
  if (!eq(real.script, first.witnessUtxo.script) || real.amount !== first.witnessUtxo.amount)
    return refuse(
      "inputMismatch",
      `input 0 (${outpoint(firstPoint)}) is not the output its witnessUtxo claims: on chain it pays ${real.amount} sats to ${scriptToAddress(real.script, network) ?? toHex(real.script)}`,
    );
  const actorScript = real.script;
  const actor = scriptToAddress(actorScript, network);
  if (!actor) return refuse("invalidPsbt", "input 0 pays from no standard address (the actor is unknown)");
  let op: Operation;
  try {
    op = toOperation(spell.op, actor);
  } catch (error) {
    return refuse("invalidSpell", (error as Error).message);
  }

  // 3. The same checks the chain will apply (attestation quorum and price, declared time, proof,
  //    engine rules), on a clone of this guardian's state: what the engine pays comes from its events.
  // A copy with the root cache: the checks compute the new state root, incrementally as the indexer does.
  const state = cloneStateWithRoot(deps.state());
  const outcome = applySpell(
    state,
    spell,
    actor,
    { height: Number(state.height) + 1, position: 0, txid: tx.id, blockTime: Math.floor(deps.now() / 1000) },
    deps.verifier(),
  );
  if (!outcome.ok) {
    const code: RefusalCode =
      outcome.reason.code === "proofMissing" || outcome.reason.code === "proofInvalid"
        ? "badProof"
        : outcome.reason.code === "ruleViolated" || outcome.reason.code === "internalError"
          ? "engineRejects"
          : "badAttestation";
    return refuse(
      code,
      outcome.reason.detail ? `${outcome.reason.detail}: ${outcome.reason.message}` : outcome.reason.message,
    );
  }
  const events = outcome.events;

  // 4. Custody inputs.
  const pool = poolDescriptor(guardians);
  const custody: CustodyInput[] = [];
  for (let i = 0; i < tx.inputsLength; i++) {
    const input = tx.getInput(i);
    if (!input.witnessScript) continue;
    const d = parseCustodyScript(input.witnessScript);
    if (!d) return refuse("unknownInput", `input ${i} has a witness script this project did not build`);
    if (!sameSet(d.guardians, guardians))
      return refuse("unknownInput", `input ${i} is not held by this guardian federation's current keys`);
    if (!input.witnessUtxo || !eq(input.witnessUtxo.script, d.script))
      return refuse("inputMismatch", `input ${i}: its witnessUtxo is not the P2WSH of its witness script`);
    if (input.sighashType !== undefined && input.sighashType !== SigHash.ALL)
      return refuse(
        "inputMismatch",
        `input ${i} asks for sighash ${input.sighashType}; guardians sign SIGHASH_ALL only`,
      );
    const point = { txid: toHex(input.txid!), vout: input.index! };
    custody.push({ index: i, outpoint: outpoint(point), amount: input.witnessUtxo.amount, descriptor: d });
  }
  if (custody.length === 0)
    return refuse(
      "nothingToSign",
      `this ${op.type} spell moves no vault or pool funds; guardians sign nothing`,
    );

  // 5. The outputs the protocol funds must make.
  const plan = planOutputs(op, events, actor, actorScript, custody, pool, network);
  if ("code" in plan) return refuse(plan.code, plan.reason);

  // On chain: each custody input exists with that script and amount and is unspent; emptied vaults spend every UTXO.
  const txid = tx.id;
  for (const c of custody) {
    const conflict = deps.ledger.conflict(c.outpoint, txid);
    if (conflict)
      return refuse(
        "alreadySpending",
        `input ${c.index} (${c.outpoint}) is already being spent by ${conflict.txid} (${conflict.op}); a guardian signs an output into one spend only`,
      );
  }
  const chain = await checkOnChain(deps.esplora, custody, plan.emptied, network);
  if (chain) return refuse(chain.code, chain.reason);

  const used = new Set<number>();
  for (const e of plan.outputs) {
    let found = -1;
    for (let i = 0; i < tx.outputsLength; i++) {
      const o = tx.getOutput(i);
      if (!used.has(i) && eq(o.script!, e.script) && o.amount === e.amount) {
        found = i;
        break;
      }
    }
    if (found < 0) {
      const near = [...Array(tx.outputsLength).keys()].find(
        (i) => !used.has(i) && eq(tx.getOutput(i).script!, e.script),
      );
      return refuse(
        "outputMismatch",
        near === undefined
          ? `the spell requires ${e.what} of ${e.amount} sats, which the PSBT does not make`
          : `the spell requires ${e.what} of ${e.amount} sats, but output ${near} pays ${tx.getOutput(near).amount} sats`,
      );
    }
    used.add(found);
  }
  for (let i = 0; i < tx.outputsLength; i++) {
    if (used.has(i) || i === spellVout) continue;
    const o = tx.getOutput(i);
    if (!eq(o.script!, actorScript)) {
      const to = scriptToAddress(o.script!, network) ?? toHex(o.script!);
      return refuse(
        "changeMismatch",
        `output ${i} pays ${o.amount} sats to ${to}, which is neither what the spell pays nor change to the actor ${actor}`,
      );
    }
  }

  // 6. Reserve (check and record in one synchronous step, durably), then sign: of two rival requests
  //    that passed every check above while the other awaited the chain, only the first gets here.
  const taken = deps.ledger.reserve(
    custody.map((c) => c.outpoint),
    txid,
    op.type,
  );
  if (taken)
    return refuse(
      "alreadySpending",
      `${taken.outpoint} is already being spent by ${taken.txid} (${taken.op}); a guardian signs an output into one spend only`,
    );
  const signedInputs = custody.map((c) => c.index);
  const signed = deps.keys.signInputs(psbtBytes, signedInputs);
  return {
    ok: true,
    psbt: signed,
    signedInputs,
    op: op.type,
    txid,
    proof: outcome.proof === "verified" ? "verified" : "replayOnly",
  };
}

type Plan = { outputs: Expected[]; emptied: Set<string> } | { code: RefusalCode; reason: string };

function planOutputs(
  op: Operation,
  events: ProtocolEvent[],
  actor: string,
  actorScript: Uint8Array,
  custody: CustodyInput[],
  pool: PoolDescriptor,
  network: BtcNetworkName,
): Plan {
  const vaults = custody.filter((c) => c.descriptor.kind === "vault");
  const pools = custody.filter((c) => c.descriptor.kind === "pool");
  const total = (xs: CustodyInput[]) => xs.reduce((a, c) => a + c.amount, 0n);
  const payout = (amount: bigint): Expected => ({
    script: actorScript,
    amount,
    what: `a payout to ${actor}`,
  });
  /** Names each vault input's account: its owner key must pay from one of `owners`. */
  const bindOwners = (owners: string[]): { code: RefusalCode; reason: string } | null => {
    for (const v of vaults) {
      const addrs = addressesOfKey((v.descriptor as VaultDescriptor).owner, network);
      const owner = owners.find((o) => addrs.includes(o));
      if (!owner)
        return {
          code: "inputMismatch",
          reason: `input ${v.index} is a vault of ${addrs[0]}, which this ${op.type} does not touch`,
        };
      v.owner = owner;
    }
    for (const o of owners) {
      if (!vaults.some((v) => v.owner === o))
        return {
          code: "inputMismatch",
          reason: `the vault of ${o} must be spent by this ${op.type}, and is not an input`,
        };
    }
    return null;
  };
  const byOwner = (o: string) => vaults.filter((v) => v.owner === o);
  const vaultScript = (o: string) => (byOwner(o)[0]!.descriptor as VaultDescriptor).script;
  const noPools = () =>
    pools.length
      ? {
          code: "inputMismatch" as const,
          reason: `input ${pools[0]!.index} is a pool input, which a ${op.type} does not spend`,
        }
      : null;
  const noVaults = () =>
    vaults.length
      ? {
          code: "inputMismatch" as const,
          reason: `input ${vaults[0]!.index} is a vault input, which a ${op.type} does not spend`,
        }
      : null;
  const ev = <T extends ProtocolEvent["type"]>(t: T) =>
    events.filter((e) => e.type === t) as Extract<ProtocolEvent, { type: T }>[];

  switch (op.type) {
    case "adjustVault":
    case "closeVault": {
      const bad = noPools() ?? bindOwners([actor]);
      if (bad) return bad;
      const held = total(vaults);
      if (op.type === "closeVault") {
        const closed = ev("VaultClosed")[0];
        if (!closed) return { code: "engineRejects", reason: "the engine closed no vault" };
        // Everything the vault holds on chain goes back to its owner; a redistribution gain the engine
        // counts on top (closed.paidSats − held) stays in the pool until paid from it (docs/guardian.md).
        return { outputs: [payout(held)], emptied: new Set([actor]) };
      }
      const w = ev("CollateralWithdrawn")[0];
      if (!w)
        return {
          code: "nothingToSign",
          reason: "this adjustment withdraws no collateral; guardians sign nothing",
        };
      if (w.paidSats > held)
        return {
          code: "inputMismatch",
          reason: `the withdrawal pays ${w.paidSats} sats but the vault inputs hold ${held} sats`,
        };
      const outputs = [payout(w.paidSats)];
      if (held > w.paidSats)
        outputs.push({
          script: vaultScript(actor),
          amount: held - w.paidSats,
          what: "the rest back to the vault",
        });
      return { outputs, emptied: new Set() };
    }
    case "liquidate":
    case "liquidateBatch":
    case "liquidateList": {
      const owners = ev("VaultLiquidated").map((e) => e.owner);
      const liq = ev("Liquidation")[0];
      if (!liq || owners.length === 0)
        return { code: "engineRejects", reason: "the engine liquidated nothing" };
      const bad = noPools() ?? bindOwners(owners);
      if (bad) return bad;
      const held = total(vaults);
      if (liq.paidSats > held)
        return {
          code: "inputMismatch",
          reason: `the compensation of ${liq.paidSats} sats exceeds the ${held} sats the vaults hold`,
        };
      const outputs: Expected[] = [];
      if (liq.paidSats > 0n) outputs.push(payout(liq.paidSats));
      if (held > liq.paidSats)
        outputs.push({
          script: pool.script,
          amount: held - liq.paidSats,
          what: "the liquidated collateral into the guardian pool",
        });
      return { outputs, emptied: new Set(owners) };
    }
    case "redeem": {
      const redeemed = ev("VaultRedeemed");
      if (redeemed.length === 0)
        return { code: "engineRejects", reason: "the engine redeemed from no vault" };
      const bad = noPools() ?? bindOwners(redeemed.map((r) => r.owner));
      if (bad) return bad;
      let paid = 0n;
      const outputs: Expected[] = [];
      let toPool = 0n;
      for (const r of redeemed) {
        const sats = r.collateral / SAT; // rounds down: the protocol never pays more than it holds
        const held = total(byOwner(r.owner));
        if (sats > held)
          return {
            code: "inputMismatch",
            reason: `the vault of ${r.owner} holds ${held} sats; the redemption takes ${sats}`,
          };
        paid += sats;
        if (held > sats) {
          // A vault the redemption closes leaves its surplus in the pool (claimSurplus pays it from there).
          if (r.closed) toPool += held - sats;
          else
            outputs.push({
              script: vaultScript(r.owner),
              amount: held - sats,
              what: `the rest back to the vault of ${r.owner}`,
            });
        }
      }
      // The redeemer gets the engine's paidSats (drawn collateral minus the redemption fee, rounded
      // down); the fee and the rounding stay with the protocol in the guardian pool (feeCollateral, dust).
      const owed = ev("Redeemed").reduce((a, e) => a + e.paidSats, 0n);
      if (owed > paid)
        return {
          code: "inputMismatch",
          reason: `the redeemer is owed ${owed} sats but the redeemed vaults release ${paid}`,
        };
      outputs.unshift(payout(owed));
      toPool += paid - owed;
      if (toPool > 0n)
        outputs.push({
          script: pool.script,
          amount: toPool,
          what: "the redemption fee and closed vaults' surplus into the pool",
        });
      return { outputs, emptied: new Set(redeemed.map((r) => r.owner)) };
    }
    case "claimGains":
    case "poolWithdraw":
    case "poolDeposit":
    case "claimSurplus": {
      const bad = noVaults();
      if (bad) return bad;
      const paidSats = [...ev("GainsClaimed"), ...ev("SurplusClaimed")].reduce((a, e) => a + e.paidSats, 0n);
      if (paidSats === 0n)
        return { code: "nothingToSign", reason: `this ${op.type} pays no BTC; guardians sign nothing` };
      const held = total(pools);
      if (paidSats > held)
        return {
          code: "inputMismatch",
          reason: `the payout of ${paidSats} sats exceeds the ${held} sats of the pool inputs`,
        };
      const outputs = [payout(paidSats)];
      if (held > paidSats)
        outputs.push({ script: pool.script, amount: held - paidSats, what: "the rest back to the pool" });
      return { outputs, emptied: new Set() };
    }
    default:
      return {
        code: "unsupported",
        reason: `guardians co-sign no ${op.type} spend (it moves no BTC they hold, or is not supported yet)`,
      };
  }
}

/** Each custody input must exist on chain, unspent, with the PSBT's script and amount; emptied vaults spend all their UTXOs. */
async function checkOnChain(
  esplora: EsploraClient,
  custody: CustodyInput[],
  emptied: Set<string>,
  network: BtcNetworkName,
): Promise<{ code: RefusalCode; reason: string } | null> {
  for (const c of custody) {
    const [txid, voutText] = c.outpoint.split(":") as [string, string];
    const vout = Number(voutText);
    const out = await previousOutput(esplora, txid, vout);
    if (!out)
      return { code: "inputMismatch", reason: `input ${c.index} (${c.outpoint}) does not exist on chain` };
    if (!eq(out.script, c.descriptor.script) || out.amount !== c.amount)
      return {
        code: "inputMismatch",
        reason: `input ${c.index} (${c.outpoint}) is not the ${out.amount}-sat output its witnessUtxo claims`,
      };
    let spent: Outspend;
    try {
      spent = await esplora.outspend(txid, vout);
    } catch (error) {
      // Unknown is not "unspent": never sign on a failed check.
      return {
        code: "inputMismatch",
        reason: `input ${c.index} (${c.outpoint}): whether it is already spent could not be checked (${(error as Error).message}); try again`,
      };
    }
    if (spent.spent)
      return {
        code: "alreadySpending",
        reason: `input ${c.index} (${c.outpoint}) is already spent on chain by ${spent.txid}`,
      };
  }
  for (const owner of emptied) {
    const mine = custody.filter((c) => c.owner === owner);
    const d = mine[0]?.descriptor;
    if (!d) continue;
    let utxos: { txid: string; vout: number }[];
    try {
      utxos = await esplora.addressUtxos(descriptorAddress(d, network));
    } catch (error) {
      return {
        code: "inputMismatch",
        reason: `the vault of ${owner} is emptied, but its coins could not be listed (${(error as Error).message}); try again`,
      };
    }
    const have = new Set(mine.map((c) => c.outpoint));
    const missing = utxos.filter((u) => !have.has(`${u.txid}:${u.vout}`));
    if (missing.length)
      return {
        code: "inputMismatch",
        reason: `the vault of ${owner} is emptied, but its UTXO ${missing[0]!.txid}:${missing[0]!.vout} is not spent`,
      };
  }
  return null;
}

/**
 * The real output `txid:vout`: from the previous transaction's raw bytes, accepted only when they hash
 * to `txid` (an API's JSON or a PSBT's witnessUtxo is never taken for it). A txid commits to its
 * outputs, so this holds for a confirmed or a mempool transaction alike; undefined when there is none.
 */
async function previousOutput(
  esplora: EsploraClient,
  txid: string,
  vout: number,
): Promise<{ script: Uint8Array; amount: bigint } | undefined> {
  try {
    const tx = Transaction.fromRaw(fromHex(await esplora.txHex(txid)), {
      ...TX_OPTS,
      disableScriptCheck: true,
    });
    if (tx.id !== txid || vout < 0 || vout >= tx.outputsLength) return undefined;
    const out = tx.getOutput(vout);
    return out.script && out.amount !== undefined ? { script: out.script, amount: out.amount } : undefined;
  } catch {
    return undefined;
  }
}
