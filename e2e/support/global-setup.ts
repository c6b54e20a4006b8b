/** Vitest global setup for the e2e suite: one build and one local stack for every test file. */
import { createServer } from "node:net";
import type { TestProject } from "vitest/node";
import { startStack } from "../../scripts/lib/stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The served app, e.g. http://localhost:41234/ */
    appUrl: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "localhost", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject) {
  const stack = await startStack({ port: await freePort(), strictPort: true, quiet: true });
  project.provide("appUrl", stack.url);
  return () => stack.close();
}
