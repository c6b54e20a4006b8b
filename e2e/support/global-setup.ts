/**
 * Vitest global setup for the e2e suite: one build and one local stack for every test file, on free
 * ports (services and app) so the suite runs beside a running `npm start`.
 */
import type { TestProject } from "vitest/node";
import { freePort, startStack } from "../../scripts/lib/stack.ts";
import type { LocalStackUrls } from "../../src/devnet/local-stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The served app, e.g. http://localhost:41234/ */
    appUrl: string;
    /** The stack's devnet, price feed and guardians (the served app has these compiled in). */
    localStack: LocalStackUrls;
  }
}

export default async function setup(project: TestProject) {
  const stack = await startStack({
    port: await freePort("localhost"),
    strictPort: true,
    quiet: true,
    freePorts: true,
  });
  project.provide("appUrl", stack.url);
  project.provide("localStack", stack.services);
  return () => stack.close();
}
