/**
 * Issue 15, items 1–4, in Chromium against the local stack (devnet, price feed, 2-of-3 guardians), in
 * order, in one browser with the dev wallet:
 * 1. While the engine is behind the tip nothing is actionable (the forms say why, with the heights;
 *    the dashboard does not say "ready"); previews value the operation at the price the transaction
 *    will meet (the guardians' attested price, which the flow puts on chain first).
 * 2. The review's total cost (every transaction the flow sends, the price update included) is an
 *    upper bound of what the chain charged; the fee presets differ.
 * 3. A maximum fee on borrowing more and on redeeming: quoted, defaulted, carried in the spell,
 *    refused by the engine in words, warned about above 5%.
 * 4. Amount fields check the wallet's balance and the protocol's bounds as you type, in BTC/zkUSD.
 */
import type { Page, Route } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { nextContext, previewOperation } from "../src/client/engine/preview.ts";
import {
  DEFAULT_PARAMS,
  ERROR_MESSAGES,
  formatDecimal,
  type Operation,
  parseDecimal,
  type State,
  systemSummary,
} from "../src/protocol/index.ts";
import { type AppSession, DESKTOP, openApp, screenshot } from "./support/browser.ts";
import {
  attestation,
  connectWallet,
  DEVNET_URL,
  E18,
  figureEquals,
  getJson,
  go,
  postJson,
  referenceState,
  setFeedPrice,
  settledPreview,
  signAndSend,
  tipHeight,
  until,
  watchProblems,
} from "./support/journeys.ts";
import { reviewEnabled, untilAttested } from "./support/steps.ts";

/** The price the stack's feed starts with (src/devnet/pricefeed.ts), restored at the end. */
const STACK_PRICE = "97000";
/** A price no earlier test file puts on chain, so the attested price differs from the state's. */
const TEST_PRICE = "91234";
const STEP = 480_000;

let session: AppSession;
let page: Page;
let me = "";
const problems: string[] = [];

beforeAll(async () => {
  await setFeedPrice(TEST_PRICE);
  await attestation(91_000n * E18, 91_500n * E18);
}, 180_000);

afterAll(async () => {
  await setFeedPrice(STACK_PRICE).catch(() => undefined);
  await session?.close();
});

// Independent of the files before it on the shared stack: its own feed price (TEST_PRICE), a fresh
// dev wallet, a fresh browser waited for at the tip, and every expected figure computed by the engine
// on the Node replay's state for the attestation the app uses (price and time: the base rate a
// redemption elsewhere raised decays with it), never a constant.
describe("a careful borrower's figures, costs and protections", () => {
  let broken: string | undefined;
  beforeEach((ctx) => {
    // E2E_NO_SKIP=1: every test runs even after one failed (to see each fail on code broken on purpose).
    if (broken && !process.env.E2E_NO_SKIP) ctx.skip();
    ctx.onTestFailed(() => {
      broken ??= ctx.task.name;
    });
  });

  it(
    "1. nothing is actionable while the engine is behind the tip; previews meet the attested price",
    async () => {
      // More blocks than a fresh browser applies at once, and the raw blocks held back while we look.
      await postJson(`${DEVNET_URL}/regtest/mine`, { blocks: 200 });
      const tip = await tipHeight();
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      const hold = async (route: Route) => {
        await released;
        await route.continue().catch(() => undefined);
      };
      session = await openApp({
        viewport: DESKTOP,
        path: "/vault",
        beforeLoad: async (p) => {
          await p.context().route(/\/block\/[0-9a-f]{64}\/raw$/, hold);
        },
      });
      page = session.page;
      watchProblems(page, problems);
      try {
        await behindTheTip(tip);
      } finally {
        release();
      }
      await page.context().unroute(/\/block\/[0-9a-f]{64}\/raw$/, hold);
      await caughtUp();
    },
    STEP,
  );

  it(
    "4. amount fields check the wallet's balance and the protocol's bounds as they are typed, in BTC and zkUSD",
    async () => {
      await go(page, "Vault");
      await page.getByTestId("wallet-button").click();
      await page.getByTestId("dev-faucet").click();
      await page.getByText("Received 1 test BTC (confirmed).").waitFor({ timeout: 60_000 });
      await page.getByTestId("wallet-button").click();
      // More collateral than the wallet holds: said beside the field as it is typed, in BTC.
      await page.getByTestId("borrow-input").fill("10000");
      await page.getByTestId("collateral-input").fill("1.5");
      expect(await fieldError(page, "collateral-input", /1\.00 BTC/)).toBe(
        "More than your wallet holds (1.00 BTC); the network fee comes on top.",
      );
      await page.getByTestId("collateral-input").fill("0.5");
      // The protocol's bounds: the minimum debt, and the most this collateral can borrow.
      await page.getByTestId("borrow-input").fill("100");
      expect(await fieldError(page, "borrow-input")).toBe("The minimum to borrow is 1,800.00 zkUSD.");
      await page.getByTestId("borrow-input").fill("99,999,999");
      expect(await fieldError(page, "borrow-input", /At most/)).toMatch(
        /^At most [\d,]+\.\d\d zkUSD can be borrowed with this collateral\.$/,
      );
      expect(await page.getByTestId("review-button").isDisabled()).toBe(true);
      await screenshot(page, "careful-bounds-desktop-dark");

      // The whole balance as collateral passes the field; the review then says the fee is not covered,
      // in BTC, never in raw satoshis.
      await page.getByTestId("collateral-input").fill("1");
      await page.getByTestId("borrow-input").fill("10000");
      await settledPreview(page);
      await reviewEnabled(page);
      await page.getByTestId("review-button").click();
      const draftError = page.getByTestId("draft-error");
      await draftError.waitFor({ timeout: 30_000 });
      const text = (await draftError.textContent()) ?? "";
      expect(text).toMatch(/Your wallet has 1\.00 BTC spendable but this transaction needs 1\.\d{8} BTC/);
      expect(text).not.toMatch(/\d sats/);
      await screenshot(page, "careful-not-covered-desktop-dark");
      await page.getByRole("button", { name: "Back to the form" }).click();
    },
    STEP,
  );

  it(
    "2. the review's total network cost bounds every transaction the flow sends; the fee presets differ",
    async () => {
      await go(page, "Vault");
      await page.getByTestId("collateral-input").fill("0.5");
      await page.getByTestId("borrow-input").fill("10,000");
      await settledPreview(page);
      await reviewEnabled(page);
      await page.getByTestId("review-button").click();
      await page.getByTestId("psbt-preview").waitFor({ timeout: 60_000 });
      // Four presets, four rates (regtest's estimates are all 1 sat/vB).
      // (Soft: the flow below still runs when they do not, so the next test has its vault.)
      const rates = await page.locator(".fee-option .fee-rate").allTextContents();
      expect.soft(rates).toHaveLength(4);
      expect.soft(new Set(rates).size, `preset rates ${rates.join(", ")}`).toBe(4);
      // Every transaction the flow sends: the price update (the chain holds another price) and the open.
      const total = page.getByTestId("review-total");
      await total.waitFor({ timeout: 30_000 });
      const lines = await page.getByTestId("cost-line").evaluateAll((els) =>
        els.map((e) => ({
          id: e.getAttribute("data-id") ?? "",
          fee: BigInt(e.getAttribute("data-value") ?? "-1"),
          vsize: Number(e.getAttribute("data-vsize")),
        })),
      );
      // Soft from here: the flow still runs when a figure is wrong, to measure what the chain charged.
      expect.soft(lines.map((l) => l.id)).toEqual(["price", "operation"]);
      const priceLine = lines.find((l) => l.id === "price") ?? { fee: 0n, vsize: 0 };
      const opLine = lines.find((l) => l.id === "operation") ?? { fee: 0n, vsize: 0 };
      const bound = BigInt((await total.getAttribute("data-value")) ?? "-1");
      expect.soft(bound).toBe(priceLine.fee + opLine.fee);
      expect
        .soft(await total.textContent())
        .toMatch(/At most [\d,]+ sats \(0\.\d{8} BTC\) ≈ \$\d+\.\d\d at \d+ sat\/vB, for 2 transactions/);
      await screenshot(page, "careful-review-total-desktop-dark");

      const before = new Set((await walletTxs(me)).map((t) => t.txid));
      const open = await signAndSend(page);
      // What the chain charged: the wallet's new transactions (the price update, then the open).
      const sent = (await walletTxs(me)).filter((t) => !before.has(t.txid) && t.fromMe);
      expect(sent.map((t) => t.txid)).toContain(open.txid);
      expect(sent).toHaveLength(2);
      const opened = sent.find((t) => t.txid === open.txid)!;
      const update = sent.find((t) => t.txid !== open.txid)!;
      const measured = [
        {
          tx: "price update",
          boundSats: priceLine.fee,
          paidSats: update.fee,
          boundVsize: priceLine.vsize,
          vsize: update.vsize,
        },
        {
          tx: "open",
          boundSats: opLine.fee,
          paidSats: opened.fee,
          boundVsize: opLine.vsize,
          vsize: opened.vsize,
        },
      ];
      console.table(
        measured.map((m) => ({ ...m, boundSats: String(m.boundSats), paidSats: String(m.paidSats) })),
      );
      for (const m of measured) {
        expect.soft(m.paidSats, `${m.tx} fee`).toBeLessThanOrEqual(m.boundSats);
        expect.soft(m.vsize, `${m.tx} vsize`).toBeLessThanOrEqual(m.boundVsize);
      }
      expect.soft(update.fee + opened.fee, "paid in all").toBeLessThanOrEqual(bound);
      await page.getByRole("button", { name: "Done" }).click();
    },
    STEP,
  );

  it(
    "3. borrowing more and redeeming carry a maximum fee: quoted, defaulted, in the spell, refused in words, warned about above 5%",
    async () => {
      await go(page, "Vault");
      await page.getByTestId("adjust-debt-input").waitFor({ timeout: 60_000 });
      await page.getByTestId("adjust-debt-input").fill("1000");
      // The fee quoted is the engine's rate now (a redemption in another file may have raised the
      // base rate above the 0.5% floor); the default cap is that rate plus 0.5 points, rounded up to
      // a tenth of a percent, at most the borrowing fee's cap (the protocol never charges more).
      const quote = page.getByTestId("adjust-max-fee-input-quote");
      const rate = await until(
        "the borrowing fee quote to be the engine's rate",
        async () => {
          const want = systemSummary((await referenceState()).state).borrowingRate;
          return (await quote.getAttribute("data-value")) === want.toString() ? want : undefined;
        },
        60_000,
        500,
      );
      expect(await quote.textContent()).toMatch(/^The borrowing fee is \d+\.\d\d% now\.$/);
      if (rate === parseDecimal("0.005"))
        expect(await quote.textContent()).toBe("The borrowing fee is 0.50% now.");
      const tenth = parseDecimal("0.001");
      const feeCap = (await referenceState()).state.params.borrowingFeeCap;
      const rounded = ((rate + parseDecimal("0.005") + tenth - 1n) / tenth) * tenth;
      const defaultCap = rounded < feeCap ? rounded : feeCap;
      expect(parseDecimal(await page.getByTestId("adjust-max-fee-input").inputValue()) / 100n).toBe(
        defaultCap,
      );
      await settledPreview(page);
      // Below the floor: the engine's refusal, in its words.
      await page.getByTestId("adjust-max-fee-input").fill("0.4");
      await page
        .locator('[data-testid="engine-refusal"][data-code="invalidMaxFee"]')
        .waitFor({ timeout: 30_000 });
      expect(await page.getByTestId("engine-refusal").textContent()).toContain(ERROR_MESSAGES.invalidMaxFee);
      expect(await page.getByTestId("review-button").isDisabled()).toBe(true);
      // Above 5%: a plain warning.
      await page.getByTestId("adjust-max-fee-input").fill("7");
      await page.getByTestId("adjust-max-fee-input-warning").waitFor();
      await screenshot(page, "careful-mint-max-fee-warning-desktop-dark");
      // The cap travels in the spell: one the user typed, half a point above the default.
      const cap = defaultCap + parseDecimal("0.005");
      await page.getByTestId("adjust-max-fee-input").fill(formatDecimal(cap * 100n));
      if (cap <= parseDecimal("0.05"))
        expect(await page.getByTestId("adjust-max-fee-input-warning").count()).toBe(0);
      await settledPreview(page);
      await reviewEnabled(page);
      await page.getByTestId("review-button").click();
      await page.getByTestId("psbt-preview").waitFor({ timeout: 60_000 });
      expect(
        await page.locator('[data-testid="psbt-spell"] [data-field="maxFee"]').getAttribute("data-value"),
      ).toBe(cap.toString());
      await page.getByRole("button", { name: "Back to the form" }).click();

      // Redeeming 500 zkUSD raises the base rate: the fee for this amount is quoted, and a cap below it
      // is refused by the engine (Liquity's maxFeePercentage).
      await go(page, "Redeem");
      await page.getByTestId("redeem-amount").fill("500");
      const op: Operation = { type: "redeem", redeemer: me, amount: 500n * E18 };
      const redeemQuote = page.getByTestId("redeem-max-fee-input-quote");
      await redeemQuote.waitFor({ timeout: 30_000 });
      const redemptionRate = await untilAttested(
        "the redemption fee quote to be the engine's for the attested price and time",
        () => redeemQuote.getAttribute("data-value"),
        (state, att) => {
          const expected = previewOperation(state, op, nextContext(state, att.time), att);
          if (!expected.ok) throw new Error(`the engine refuses the redemption: ${expected.message}`);
          return ((expected.result.fee as bigint) * E18) / (expected.result.btc as bigint);
        },
        (v) => v.toString(),
      );
      // The redemption raises the base rate: its fee is above the floor, so a cap at the floor (a
      // valid cap) is below it.
      expect(redemptionRate).toBeGreaterThan(DEFAULT_PARAMS.redemptionFeeFloor);
      await page.getByTestId("redeem-max-fee-input").fill("0.5");
      await page
        .locator('[data-testid="engine-refusal"][data-code="feeExceedsMaximum"]')
        .waitFor({ timeout: 30_000 });
      expect(await page.getByTestId("engine-refusal").textContent()).toContain(
        ERROR_MESSAGES.feeExceedsMaximum,
      );
      expect(await page.getByTestId("review-button").isDisabled()).toBe(true);
      await screenshot(page, "careful-redeem-max-fee-desktop-dark");
      await page.getByTestId("redeem-max-fee-input").fill("7");
      await page.getByTestId("redeem-max-fee-input-warning").waitFor();
      await page.getByTestId("redeem-max-fee-input").fill("5");
      await reviewEnabled(page);
      await page.getByTestId("review-button").click();
      await page.getByTestId("psbt-preview").waitFor({ timeout: 60_000 });
      expect(
        await page.locator('[data-testid="psbt-spell"] [data-field="maxFee"]').getAttribute("data-value"),
      ).toBe(parseDecimal("0.05").toString());
    },
    STEP,
  );

  it("saw no console errors or page errors", () => {
    expect(problems).toEqual([]);
  });
});

/** The field's error sentence beside the input `testId` (waits for one, matching `like` if given). */
async function fieldError(p: Page, testId: string, like?: RegExp): Promise<string> {
  const error = p.locator(".field", { has: p.getByTestId(testId) }).locator(".field-error");
  if (like) await error.filter({ hasText: like }).waitFor({ timeout: 30_000 });
  else await error.waitFor({ timeout: 30_000 });
  return ((await error.textContent()) ?? "").trim();
}

/** The address's transactions on the devnet, with their fee, vsize and whether the address paid in. */
async function walletTxs(address: string) {
  const txs = await getJson<
    {
      txid: string;
      fee: number;
      weight: number;
      vin: { prevout?: { scriptpubkey_address?: string } | null }[];
    }[]
  >(`${DEVNET_URL}/address/${address}/txs`);
  return txs.map((t) => ({
    txid: t.txid,
    fee: BigInt(t.fee),
    vsize: Math.ceil(t.weight / 4),
    fromMe: t.vin.some((i) => i.prevout?.scriptpubkey_address === address),
  }));
}

/** Item 1 while the raw blocks are held: the forms wait and say why, the dashboard is not "ready". */
async function behindTheTip(tip: number): Promise<void> {
  me = await connectWallet(page, "dev");
  const wait = page.getByTestId("sync-wait");
  await wait.waitFor({ timeout: 30_000 });
  await page.getByTestId("collateral-input").fill("0.5");
  await page.getByTestId("borrow-input").fill("10,000");
  // Behind: the form says so with the synced height and the tip, and Review stays disabled.
  await page.locator('[data-testid="sync-wait"][data-reason="behind"]').waitFor({ timeout: 60_000 });
  const height = Number(await wait.getAttribute("data-height"));
  expect(height).toBeLessThan(tip);
  expect(Number(await wait.getAttribute("data-tip"))).toBeGreaterThanOrEqual(tip);
  expect(await wait.textContent()).toMatch(/applied the chain up to block [\d,]+ of [\d,]+/);
  expect(await page.getByTestId("review-button").isDisabled()).toBe(true);
  await screenshot(page, "careful-behind-vault-desktop-dark");
  // The dashboard does not call a state that is behind "ready".
  await go(page, "Dashboard");
  const badge = page.getByTestId("engine-status");
  await page.locator('[data-testid="engine-status"][data-state="syncing"]').waitFor({ timeout: 30_000 });
  expect(await badge.textContent()).not.toContain("Engine ready");
  expect(await badge.textContent()).toMatch(/Catching up: block [\d,]+ of [\d,]+/);
  await screenshot(page, "careful-behind-dashboard-desktop-dark");
}

/** Item 1 once caught up: ready, and the open form values the vault at the attested price. */
async function caughtUp(): Promise<void> {
  // A fresh browser replays the whole shared chain (long after the other files of a full run).
  await page.locator('[data-testid="engine-status"][data-state="ready"]').waitFor({ timeout: 300_000 });
  await go(page, "Vault");
  await page.getByTestId("collateral-input").fill("0.5");
  await page.getByTestId("borrow-input").fill("10,000");
  await settledPreview(page);
  expect(await page.getByTestId("sync-wait").count()).toBe(0);

  // The preview meets the attested price (the chain still holds another one).
  const att = await attestation(91_000n * E18, 91_500n * E18);
  expect(att.statePrice).not.toBe(att.price);
  const ref = (await referenceState()).state;
  expect(ref.g.price).toBe(att.statePrice);
  const maxFeePct = parseDecimal((await page.getByTestId("max-fee-input").inputValue()) || "0");
  const op: Operation = {
    type: "openVault",
    owner: me,
    collateral: parseDecimal("0.5"),
    borrow: 10_000n * E18,
    maxFee: maxFeePct / 100n,
  };
  await figureEquals(page, "price-met", att.price, 30_000);
  const met = previewOperation(ref, op, nextContext(ref, att.time), att);
  const stale = previewOperation(ref, op);
  if (!met.ok || !stale.ok) throw new Error("the engine refuses the open");
  expect(met.vaultAfter!.icr).not.toBe(stale.vaultAfter!.icr);
  // The figures are the engine's for the attestation the app holds (a newer one carries a newer time).
  const after = (state: State, a: { price: bigint; time: bigint }) => {
    const r = previewOperation(state, op, nextContext(state, a.time), a);
    if (!r.ok) throw new Error(`the engine refuses the open: ${r.message}`);
    return r.vaultAfter!;
  };
  const figure = (id: string) => () =>
    page.locator(`[data-figure="${id}"]`).first().getAttribute("data-value", { timeout: 1_000 });
  await untilAttested("the open's ICR at the attested price", figure("icr"), (s, a) => after(s, a).icr);
  await untilAttested("the open's debt at the attested price", figure("debt"), (s, a) => after(s, a).debt);
  // (Review still waits here: the wallet holds no coins yet, said at the collateral field, item 4.)
  await screenshot(page, "careful-open-met-price-desktop-dark");
}
