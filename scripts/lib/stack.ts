/**
 * The local stack that `npm start` runs and the end-to-end tests run against: the built web app
 * served by `vite preview`, plus the local services as child processes.
 *
 * A service is a Node entry point (TypeScript, run through tsx) that runs until SIGTERM. Its output
 * is shown prefixed with its name. If it declares `readyPattern`, the stack waits for a matching
 * output line before starting the next service (so the devnet is up before the guardians).
 * A service whose entry file does not exist yet is skipped with a log line. Add yours to SERVICES.
 *
 * Ports: `npm start` serves the services on their documented ports (src/devnet/local-stack.ts) and
 * the app from dist/. A test stack (`freePorts`) takes free ports for everything, keeps the guardians'
 * files in a temporary directory, and builds its own copy of the app into a temporary directory with
 * those URLs compiled in: it never touches what a running `npm start` serves or listens on.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { build, type PreviewServer, preview } from "vite";
import {
  DEFAULT_LOCAL_STACK_PORTS,
  type LocalStackPorts,
  type LocalStackUrls,
  localStackUrls,
} from "../../src/devnet/local-stack.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface ServiceSpec {
  name: string;
  /** Entry file relative to the repository root. */
  entry: string;
  /** What it is, for log lines. */
  description: string;
  /** An output line matching this means the service is ready. */
  readyPattern?: RegExp;
  /** How long to wait for readyPattern. */
  readyTimeoutMs?: number;
  env?: Record<string, string>;
}

/** Started in this order. Owners of each service adjust their row. */
export const SERVICES: readonly ServiceSpec[] = [
  {
    name: "devnet",
    entry: "src/devnet/main.ts",
    description: "local regtest chain + Esplora API",
    // It prints {"devnet": url, "height": …, "faucet": …} once listening.
    readyPattern: /"devnet":/,
  },
  {
    name: "price-feed",
    entry: "src/devnet/pricefeed.ts",
    description: "local price feed (the six exchanges' REST paths, POST /admin/price)",
    // It prints {"priceFeed": url, "prices": …} once listening.
    readyPattern: /"priceFeed":/,
  },
  {
    name: "guardians",
    entry: "src/guardian/main.ts",
    description: "local 2-of-3 guardian federation",
    // It prints {"guardians": [urls], "threshold": 2} once all three serve /v1.
    readyPattern: /"guardians":/,
    readyTimeoutMs: 120_000,
  },
];

export interface StackOptions {
  /** Preview port; default PORT from the environment, else 5173. */
  port?: number;
  /** Fail instead of trying the next port when `port` is taken. */
  strictPort?: boolean;
  /** Start SERVICES (default true). */
  services?: boolean;
  /** Less output: build warnings only (tests). */
  quiet?: boolean;
  /**
   * Free ports for the services and a private build and guardian directory (tests), instead of
   * `npm start`'s fixed ports and dist/.
   */
  freePorts?: boolean;
  log?: (line: string) => void;
}

export interface RunningStack {
  /** The app's URL, e.g. http://localhost:5173/ */
  url: string;
  /** Where the services listen (the app built by this stack talks to these). */
  services: LocalStackUrls;
  /** Stops the services and the web server. */
  close(): Promise<void>;
}

const defaultLog = (line: string) => process.stdout.write(`${line}\n`);

/** A TCP port nobody listens on right now (the OS picks it; 127.0.0.1 and localhost). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Where a build goes and which service URLs it has compiled in (default: dist/ and `npm start`'s). */
export interface AppBuild {
  outDir?: string;
  services?: LocalStackUrls;
}

/** Production build of the app into dist/ (or `target.outDir`). */
export async function buildApp(quiet = false, target: AppBuild = {}): Promise<void> {
  // Vite takes NODE_ENV from the environment when set (vitest sets "test"): the app must be the
  // production build whoever runs this.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({
      root: ROOT,
      mode: "production",
      logLevel: quiet ? "warn" : "info",
      ...(target.services ? { define: { __ZKUSD_LOCAL_STACK__: JSON.stringify(target.services) } } : {}),
      ...(target.outDir ? { build: { outDir: target.outDir, emptyOutDir: true } } : {}),
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

/** Serves dist/ (or `outDir`) with `vite preview` (the CSP header comes from vite.config.ts). */
export async function serveApp(port: number, strictPort: boolean, outDir?: string): Promise<PreviewServer> {
  return preview({
    root: ROOT,
    logLevel: "warn",
    preview: { port, strictPort, host: "localhost" },
    ...(outDir ? { build: { outDir } } : {}),
  });
}

interface RunningService {
  spec: ServiceSpec;
  child: ChildProcess;
  exited: Promise<number | null>;
}

function startService(
  spec: ServiceSpec,
  log: (line: string) => void,
  env: Record<string, string>,
): Promise<RunningService> {
  const child = spawn(process.execPath, ["--import", "tsx", spec.entry], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let ready = !spec.readyPattern;
    const timer = spec.readyPattern
      ? setTimeout(
          () =>
            reject(new Error(`${spec.name} did not report ready within ${spec.readyTimeoutMs ?? 60_000} ms`)),
          spec.readyTimeoutMs ?? 60_000,
        )
      : undefined;
    const onLine = (line: string) => {
      log(`[${spec.name}] ${line}`);
      if (!ready && spec.readyPattern?.test(line)) {
        ready = true;
        clearTimeout(timer);
        resolve({ spec, child, exited });
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on("line", onLine);
    }
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} could not start: ${error.message}`));
    });
    void exited.then((code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`${spec.name} exited with code ${code} before it was ready`));
      }
    });
    if (ready) resolve({ spec, child, exited });
  });
}

async function stopService(service: RunningService): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill("SIGTERM");
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 5_000).unref());
  if ((await Promise.race([service.exited, timeout])) === "timeout") service.child.kill("SIGKILL");
}

/** `npm start`'s ports: DEVNET_PORT, PRICE_FEED_PORT, GUARDIAN_PORTS (a,b,c) when set, else the defaults. */
function portsFromEnvironment(env: NodeJS.ProcessEnv = process.env): LocalStackPorts {
  const d = DEFAULT_LOCAL_STACK_PORTS;
  return {
    devnet: env.DEVNET_PORT ? Number(env.DEVNET_PORT) : d.devnet,
    priceFeed: env.PRICE_FEED_PORT ? Number(env.PRICE_FEED_PORT) : d.priceFeed,
    guardians: env.GUARDIAN_PORTS ? env.GUARDIAN_PORTS.split(",").map(Number) : [...d.guardians],
  };
}

/** Builds the app, starts the services that exist, then serves the app. Throws if one fails to start. */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const log = options.log ?? defaultLog;
  const port = options.port ?? Number(process.env.PORT ?? 5173);
  const running: RunningService[] = [];
  let server: PreviewServer | undefined;
  const scratch = options.freePorts ? mkdtempSync(join(tmpdir(), "zkusd-stack-")) : undefined;
  const close = async () => {
    for (const service of running.reverse()) await stopService(service);
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };
  try {
    const ports: LocalStackPorts = options.freePorts
      ? {
          devnet: await freePort(),
          priceFeed: await freePort(),
          guardians: [await freePort(), await freePort(), await freePort()],
        }
      : portsFromEnvironment();
    const services = localStackUrls(ports);
    const outDir = scratch ? join(scratch, "app") : undefined;
    await buildApp(options.quiet, { outDir, services });
    // Served first, so the services learn the app's real origin (CORS) even when the port moved.
    server = await serveApp(port, options.strictPort ?? false, outDir);
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error("vite preview is not listening");
    const env: Record<string, string> = {
      PORT: new URL(url).port,
      // Blocks follow broadcasts on their own, as on a real chain (users and e2e tests see pending → confirmed).
      DEVNET_AUTOMINE_MS: process.env.DEVNET_AUTOMINE_MS ?? "1500",
      DEVNET_PORT: String(ports.devnet),
      DEVNET_URL: services.devnet,
      PRICE_FEED_PORT: String(ports.priceFeed),
      PRICE_FEED_URL: services.priceFeed,
      GUARDIAN_PORTS: ports.guardians.join(","),
      ...(scratch ? { ZKUSD_GUARDIAN_DIR: join(scratch, "guardians") } : {}),
    };
    if (options.services ?? true) {
      for (const spec of SERVICES) {
        if (!existsSync(join(ROOT, spec.entry))) {
          log(`[stack] ${spec.name}: ${spec.entry} not present yet, skipping the ${spec.description}`);
          continue;
        }
        log(`[stack] starting ${spec.name} (${spec.description})`);
        running.push(await startService(spec, log, env));
      }
    }
    return { url, services, close };
  } catch (error) {
    await close();
    throw error;
  }
}
