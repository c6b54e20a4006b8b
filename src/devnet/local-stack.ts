/**
 * Where the local stack's services listen (scripts/lib/stack.ts): the regtest devnet's Esplora API,
 * the dev price feed and the three dev guardians. Constants only, safe in the browser: the app's
 * regtest defaults (Esplora URL, price feed, guardian URLs) come from here.
 *
 * `npm start` uses the documented fixed ports below. A test stack picks free ports instead (so the
 * suite runs beside a running `npm start`) and builds its own copy of the app with those URLs
 * compiled in as `__ZKUSD_LOCAL_STACK__` (a Vite `define`; see startStack).
 */

export interface LocalStackUrls {
  devnet: string;
  priceFeed: string;
  /** The three guardians of the dev federation, in member order. */
  guardians: string[];
}

export interface LocalStackPorts {
  devnet: number;
  priceFeed: number;
  guardians: number[];
}

/** `npm start`'s ports: devnet 18443, price feed 18480, guardians 18491–18493. */
export const DEFAULT_LOCAL_STACK_PORTS: Readonly<LocalStackPorts> = {
  devnet: 18443,
  priceFeed: 18480,
  guardians: [18491, 18492, 18493],
};

const LOOPBACK = "127.0.0.1";

export function localStackUrls(ports: LocalStackPorts): LocalStackUrls {
  return {
    devnet: `http://${LOOPBACK}:${ports.devnet}`,
    priceFeed: `http://${LOOPBACK}:${ports.priceFeed}`,
    guardians: ports.guardians.map((p) => `http://${LOOPBACK}:${p}`),
  };
}

declare const __ZKUSD_LOCAL_STACK__: LocalStackUrls | undefined;

/** The URLs this build talks to on regtest: the test stack's when it built the app, else the defaults. */
export const LOCAL_STACK: Readonly<LocalStackUrls> =
  typeof __ZKUSD_LOCAL_STACK__ !== "undefined"
    ? __ZKUSD_LOCAL_STACK__
    : localStackUrls(DEFAULT_LOCAL_STACK_PORTS);
