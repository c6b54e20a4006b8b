/**
 * A guardian's two secrets: its custody key (secp256k1, one of the k-of-n vault and pool keys) and its
 * oracle key (EdDSA-Poseidon on BabyJubjub, one of the price attestation keys). Read from a JSON file
 * `{ "custodyKey": hex32, "oracleKey": hex32 }` or from ZKUSD_GUARDIAN_CUSTODY_KEY /
 * ZKUSD_GUARDIAN_ORACLE_KEY. The secrets stay inside this object: it prints and serializes as
 * "[redacted]", and only its public keys leave it.
 */
import { readFileSync, statSync } from "node:fs";
import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js";
import { signPsbtInputs, toHex } from "../btc/index.ts";
import {
  type BabyJubPoint,
  type OracleSignature,
  type PriceStatement,
  publicKeyFromPrivate,
  signStatement,
} from "../oracle/index.ts";
import { GuardianError } from "./errors.ts";

export const KEY_ENV = {
  custody: "ZKUSD_GUARDIAN_CUSTODY_KEY",
  oracle: "ZKUSD_GUARDIAN_ORACLE_KEY",
} as const;

function parseKey(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || !/^[0-9a-fA-F]{64}$/.test(value.trim())) {
    throw new GuardianError("invalidConfig", `${what}: expected 64 hex characters (32 bytes)`);
  }
  return Uint8Array.from(Buffer.from(value.trim(), "hex"));
}

export class GuardianKeys {
  readonly custodyPublicKey: Uint8Array;
  readonly oraclePublicKey: BabyJubPoint;
  readonly #custody: Uint8Array;
  readonly #oracle: Uint8Array;

  constructor(custodyKey: Uint8Array, oracleKey: Uint8Array) {
    if (!secp256k1.utils.isValidSecretKey(custodyKey)) {
      throw new GuardianError("invalidConfig", "custody key: not a valid secp256k1 secret key");
    }
    this.#custody = Uint8Array.from(custodyKey);
    this.#oracle = Uint8Array.from(oracleKey);
    this.custodyPublicKey = secp256k1.getPublicKey(this.#custody, true);
    this.oraclePublicKey = publicKeyFromPrivate(this.#oracle);
  }

  /** Signs the given inputs of a PSBT with the custody key (SIGHASH_ALL). */
  signInputs(psbt: Uint8Array, inputs: number[]): Uint8Array {
    return signPsbtInputs(psbt, this.#custody, inputs);
  }

  /** Signs a price statement with the oracle key as signer `index`. */
  signPrice(statement: PriceStatement, index: number): OracleSignature {
    return signStatement(statement, this.#oracle, index);
  }

  /**
   * BIP340 Schnorr signature with the custody key over a 32-byte digest that peer-auth.ts built from a
   * tagged hash (its tag keeps it apart from every Bitcoin sighash).
   */
  signPeerDigest(digest: Uint8Array): Uint8Array {
    return schnorr.sign(digest, this.#custody);
  }

  get custodyPublicKeyHex(): string {
    return toHex(this.custodyPublicKey);
  }

  toJSON(): string {
    return "[redacted]";
  }

  toString(): string {
    return `GuardianKeys(custody ${this.custodyPublicKeyHex})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** From a JSON key file; refuses a file that others can read (mode & 0o077), like ssh does. */
  static fromFile(path: string): GuardianKeys {
    let mode: number;
    let text: string;
    try {
      mode = statSync(path).mode;
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new GuardianError("invalidConfig", `key file ${path}: ${(error as Error).message}`);
    }
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      throw new GuardianError(
        "invalidConfig",
        `key file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
      );
    }
    let parsed: { custodyKey?: unknown; oracleKey?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new GuardianError("invalidConfig", `key file ${path} is not JSON`);
    }
    return new GuardianKeys(
      parseKey(parsed.custodyKey, "custodyKey"),
      parseKey(parsed.oracleKey, "oracleKey"),
    );
  }

  /** From ZKUSD_GUARDIAN_CUSTODY_KEY and ZKUSD_GUARDIAN_ORACLE_KEY. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): GuardianKeys {
    return new GuardianKeys(
      parseKey(env[KEY_ENV.custody], KEY_ENV.custody),
      parseKey(env[KEY_ENV.oracle], KEY_ENV.oracle),
    );
  }

  /** Fresh random keys (dev networks, tests): the caller decides where they are stored. */
  static generate(): { keys: GuardianKeys; custodyKey: string; oracleKey: string } {
    const custody = secp256k1.utils.randomSecretKey();
    const oracle = crypto.getRandomValues(new Uint8Array(32));
    return {
      keys: new GuardianKeys(custody, oracle),
      custodyKey: toHex(custody),
      oracleKey: toHex(oracle),
    };
  }
}
