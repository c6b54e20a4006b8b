/**
 * Starts the local regtest chain and its Esplora API:
 * `tsx src/devnet/main.ts [--port 18443] [--automine-ms 1500]` (or DEVNET_PORT, DEVNET_AUTOMINE_MS).
 * Prints one JSON line ({"devnet": url, ...}) when ready so a parent process can read the URL.
 */
import { DEFAULT_LOCAL_STACK_PORTS } from "./local-stack.ts";
import { arg, runAsScript } from "./script.ts";
import { startDevnet } from "./server.ts";

export type { Devnet, DevnetOptions } from "./server.ts";
export { startDevnet } from "./server.ts";

runAsScript(import.meta.url, {
  start() {
    const port = Number(arg("port") ?? process.env.DEVNET_PORT ?? DEFAULT_LOCAL_STACK_PORTS.devnet);
    const origins = arg("cors")?.split(",");
    const automineMs = Number(arg("automine-ms") ?? process.env.DEVNET_AUTOMINE_MS ?? 0);
    return startDevnet({
      port,
      ...(origins ? { corsOrigins: origins } : {}),
      ...(automineMs > 0 ? { automineMs } : {}),
    });
  },
  ready: (devnet) => ({
    devnet: devnet.url,
    height: devnet.chain.height,
    faucet: devnet.chain.faucetAddress,
  }),
  stop: (devnet) => devnet.close(),
});
