/**
 * How the local stack's services run as scripts (`tsx src/devnet/main.ts`, `src/devnet/pricefeed.ts`,
 * `src/guardian/main.ts`): command-line values, one JSON line when ready, a clean stop on a signal.
 * Node only.
 */
import { pathToFileURL } from "node:url";

/** The value after `--name` on the command line. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * When the module at `moduleUrl` is the script Node was started with: starts the service, prints one
 * JSON line describing it (a parent process reads its URLs from it), stops it on SIGINT or SIGTERM and
 * exits 0; a failure to start prints the error and exits 1.
 */
export function runAsScript<T>(
  moduleUrl: string,
  service: { start(): Promise<T>; ready(running: T): unknown; stop(running: T): Promise<void> },
): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  service
    .start()
    .then((running) => {
      process.stdout.write(`${JSON.stringify(service.ready(running))}\n`);
      const stop = () => void service.stop(running).then(() => process.exit(0));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
