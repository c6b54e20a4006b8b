/**
 * The local stack that `npm start` runs and the end-to-end tests run against: the built web app
 * served by `vite preview`, plus the local services as child processes.
 *
 * A service is a Node entry point (TypeScript, run through tsx) that runs until SIGTERM. Its output
 * is shown prefixed with its name. If it declares `readyPattern`, the stack waits for a matching
 * output line before starting the next service (so the devnet is up before the guardians).
 * A service whose entry file does not exist yet is skipped with a log line. Add yours to SERVICES.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { build, type PreviewServer, preview } from "vite";

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
  log?: (line: string) => void;
}

export interface RunningStack {
  /** The app's URL, e.g. http://localhost:5173/ */
  url: string;
  /** Stops the services and the web server. */
  close(): Promise<void>;
}

const defaultLog = (line: string) => process.stdout.write(`${line}\n`);

/** Production build of the app into dist/. */
export async function buildApp(quiet = false): Promise<void> {
  // Vite takes NODE_ENV from the environment when set (vitest sets "test"): the app must be the
  // production build whoever runs this.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ root: ROOT, mode: "production", logLevel: quiet ? "warn" : "info" });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

/** Serves dist/ with `vite preview` (the CSP header comes from vite.config.ts). */
export async function serveApp(port: number, strictPort: boolean): Promise<PreviewServer> {
  return preview({ root: ROOT, logLevel: "warn", preview: { port, strictPort, host: "localhost" } });
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

/** Builds the app, starts the services that exist, then serves the app. Throws if one fails to start. */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const log = options.log ?? defaultLog;
  const port = options.port ?? Number(process.env.PORT ?? 5173);
  const running: RunningService[] = [];
  let server: PreviewServer | undefined;
  const close = async () => {
    for (const service of running.reverse()) await stopService(service);
    await server?.close();
  };
  try {
    await buildApp(options.quiet);
    // Served first, so the services learn the app's real origin (CORS) even when the port moved.
    server = await serveApp(port, options.strictPort ?? false);
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error("vite preview is not listening");
    const env = {
      PORT: new URL(url).port,
      // Blocks follow broadcasts on their own, as on a real chain (users and e2e tests see pending → confirmed).
      DEVNET_AUTOMINE_MS: process.env.DEVNET_AUTOMINE_MS ?? "1500",
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
    return { url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
