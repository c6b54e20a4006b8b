/**
 * Starts the local regtest chain and its Esplora API:
 * `tsx src/devnet/main.ts [--port 18443] [--automine-ms 1500]` (or DEVNET_PORT, DEVNET_AUTOMINE_MS).
 * Prints one JSON line ({"devnet": url, ...}) when ready so a parent process can read the URL.
 */
import { pathToFileURL } from "node:url";
import { DEFAULT_LOCAL_STACK_PORTS } from "./local-stack.ts";
import { startDevnet } from "./server.ts";

export type { Devnet, DevnetOptions } from "./server.ts";
export { startDevnet } from "./server.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const port = Number(arg("port") ?? process.env.DEVNET_PORT ?? DEFAULT_LOCAL_STACK_PORTS.devnet);
  const origins = arg("cors")?.split(",");
  const automineMs = Number(arg("automine-ms") ?? process.env.DEVNET_AUTOMINE_MS ?? 0);
  const devnet = await startDevnet({
    port,
    ...(origins ? { corsOrigins: origins } : {}),
    ...(automineMs > 0 ? { automineMs } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({ devnet: devnet.url, height: devnet.chain.height, faucet: devnet.chain.faucetAddress })}\n`,
  );
  const stop = async () => {
    await devnet.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const invoked = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invoked) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
