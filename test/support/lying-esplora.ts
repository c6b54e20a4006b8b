/**
 * A lying Esplora for tests: an HTTP proxy on loopback in front of the real devnet that, when told
 * to, withholds, drops, reorders, truncates and alters block transactions and headers, on the JSON
 * routes and on the raw ones alike (so the same lies reach an indexer that reads either). Blocks are
 * rebuilt with bcoin, an implementation independent of src/btc/block.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import bcoin from "bcoin";

export const LIES = [
  "emptyList",
  "zeroCount",
  "dropSpell",
  "reorder",
  "alterSpell",
  "truncate",
  "alterHeader",
  "badPow",
  "brokenLink",
  "alterPrevTx",
] as const;
export type Lie = (typeof LIES)[number];

export interface LyingEsplora {
  url: string;
  /** The lie told about each block (or transaction) asked for, or none. */
  lie: (() => Lie | null) | null;
  /** How many answers were lies. */
  told: number;
  close(): Promise<void>;
}

/** Another actor: BIP173's P2WPKH example on regtest. */
const OTHER_ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
const OTHER_SCRIPT = "0014751e76e8199196d454941c45d1b3a323f1433bd6";

const isSpell = (tx: Bcoin) =>
  tx.outputs.some((o: Bcoin) => {
    const s: Buffer = o.script.toRaw();
    return s[0] === 0x6a && s.includes(Buffer.from("zkUSD"));
  });
const rhash = (b: Bcoin): string => b.rhash();

/** The block serialized again (bcoin caches the bytes it was read from). */
function fresh(block: Bcoin): Buffer {
  block.refresh();
  return block.toRaw();
}

/** Grinds the nonce until the header meets regtest's target again (about two tries). */
function remine(block: Bcoin): Bcoin {
  for (let nonce = 0; ; nonce++) {
    block.nonce = nonce;
    block.refresh();
    if (block.verifyPOW()) return block;
  }
}

/** A block whose header hashes above its target (a different nonce, the rest unchanged). */
function unmine(block: Bcoin): Bcoin {
  for (let nonce = block.nonce + 1; ; nonce++) {
    block.nonce = nonce;
    block.refresh();
    if (!block.verifyPOW()) return block;
  }
}

export async function startLyingEsplora(upstream: string): Promise<LyingEsplora> {
  /** Fabricated blocks by their (fake) hash: what `/block-height` pointed at. */
  const fakes = new Map<string, { block: Bcoin; real: string }>();
  const self: LyingEsplora = { url: "", lie: null, told: 0, close: async () => {} };

  const get = async (path: string) => {
    const res = await fetch(`${upstream}${path}`);
    return {
      status: res.status,
      type: res.headers.get("content-type") ?? "text/plain",
      body: Buffer.from(await res.arrayBuffer()),
    };
  };
  const realBlock = async (hash: string): Promise<Bcoin> =>
    bcoin.Block.fromRaw((await get(`/block/${hash}/raw`)).body);

  /** The lie applied to a raw block (null: tell the truth). */
  const lieAbout = (block: Bcoin, lie: Lie): Buffer | null => {
    const txs: Bcoin[] = block.txs;
    const spells = txs.filter(isSpell);
    switch (lie) {
      case "emptyList":
      case "zeroCount":
        return Buffer.concat([block.toHead(), Buffer.from([0])]);
      case "dropSpell":
        if (spells.length === 0) return null;
        block.txs = txs.filter((t) => t !== spells[0]);
        return fresh(block);
      case "reorder":
        if (txs.length < 3) return null;
        block.txs = [txs[0], ...txs.slice(1).reverse()];
        return fresh(block);
      case "alterSpell": {
        if (spells.length === 0) return null;
        const tx = bcoin.MTX.fromTX(spells[0]);
        const out = tx.outputs.find((o: Bcoin) => o.script.toRaw()[0] === 0x6a);
        const raw = Buffer.from(out.script.toRaw());
        raw[raw.length - 1]! ^= 1;
        out.script = bcoin.Script.fromRaw(raw);
        block.txs = txs.map((t) => (t === spells[0] ? tx.toTX() : t));
        return fresh(block);
      }
      case "truncate": {
        const raw: Buffer = block.toRaw();
        return raw.subarray(0, Math.max(81, raw.length - 40));
      }
      case "alterHeader": {
        const raw = Buffer.from(block.toRaw());
        raw[40]! ^= 1; // a merkle-root byte
        return raw;
      }
      default:
        return null;
    }
  };

  const server: Server = createServer((req, res) => {
    // A leading /c<n> names the client (its own cache key in the Esplora client); it is not a route.
    const path = (req.url ?? "/").split("?")[0]!.replace(/^\/c\d+(?=\/)/, "");
    const reply = (status: number, type: string, body: Buffer | string) =>
      res.writeHead(status, { "content-type": type }).end(body);
    const p = path.split("/").filter(Boolean);
    const lie = req.method === "GET" ? (self.lie?.() ?? null) : null;
    (async () => {
      // Fabricated blocks are served for their fake hash on every route.
      const fake = p[0] === "block" ? fakes.get(p[1] ?? "") : undefined;
      if (fake) {
        if (p[2] === "raw") return reply(200, "application/octet-stream", fake.block.toRaw());
        if (p[2] === "header") return reply(200, "text/plain", fake.block.toHead().toString("hex"));
        const real = await get(`/block/${fake.real}${p[2] ? `/${p.slice(2).join("/")}` : ""}`);
        if (!p[2]) {
          const json = JSON.parse(real.body.toString());
          json.id = rhash(fake.block);
          json.previousblockhash = Buffer.from(fake.block.prevBlock).reverse().toString("hex");
          return reply(200, "application/json", JSON.stringify(json));
        }
        return reply(real.status, real.type, real.body);
      }
      const up = await get(path);
      if (!lie || up.status !== 200) return reply(up.status, up.type, up.body);
      if (p[0] === "block-height" && (lie === "badPow" || lie === "brokenLink")) {
        const block = await realBlock(up.body.toString().trim());
        if (lie === "badPow") unmine(block);
        else {
          block.prevBlock = Buffer.alloc(32, 7);
          remine(block);
        }
        fakes.set(rhash(block), { block, real: up.body.toString().trim() });
        self.told++;
        return reply(200, "text/plain", rhash(block));
      }
      if (p[0] === "block" && p[2] === "raw") {
        const lied = lieAbout(await realBlock(p[1]!), lie);
        if (!lied) return reply(200, up.type, up.body);
        self.told++;
        return reply(200, "application/octet-stream", lied);
      }
      if (p[0] === "block" && p.length === 2 && lie === "zeroCount") {
        self.told++;
        return reply(
          200,
          "application/json",
          JSON.stringify({ ...JSON.parse(up.body.toString()), tx_count: 0 }),
        );
      }
      if (p[0] === "block" && p[2] === "txs") {
        let txs = JSON.parse(up.body.toString()) as { vout: { scriptpubkey: string }[] }[];
        const spell = (t: (typeof txs)[number]) => t.vout.some((o) => o.scriptpubkey.startsWith("6a"));
        if (lie === "emptyList" || lie === "zeroCount") txs = [];
        else if (lie === "dropSpell") txs = txs.filter((t) => !spell(t));
        else if (lie === "reorder") txs = [...txs].reverse();
        else if (lie === "alterSpell") {
          for (const t of txs)
            for (const o of t.vout)
              if (o.scriptpubkey.startsWith("6a")) o.scriptpubkey = `${o.scriptpubkey.slice(0, -2)}00`;
        } else if (lie === "truncate") txs = txs.slice(0, Math.ceil(txs.length / 2));
        else if (lie === "alterPrevTx") {
          for (const t of txs as unknown as {
            vin: { prevout?: { scriptpubkey_address?: string } | null }[];
          }[]) {
            const prevout = t.vin[0]?.prevout;
            if (prevout?.scriptpubkey_address) prevout.scriptpubkey_address = OTHER_ADDRESS;
          }
        } else return reply(200, up.type, up.body);
        self.told++;
        return reply(200, "application/json", JSON.stringify(txs));
      }
      if (p[0] === "tx" && p[2] === "raw" && lie === "alterPrevTx") {
        const tx = bcoin.MTX.fromTX(bcoin.TX.fromRaw(up.body));
        tx.outputs[0].script = bcoin.Script.fromRaw(Buffer.from(OTHER_SCRIPT, "hex"));
        self.told++;
        return reply(200, "application/octet-stream", tx.toTX().toRaw());
      }
      return reply(up.status, up.type, up.body);
    })().catch((e: Error) => reply(500, "text/plain", e.message));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  self.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections?.();
      server.close(() => r());
    });
  return self;
}
