/** The part of snarkjs 0.7 that src/zk uses (no @types package is installed). */
declare module "snarkjs" {
  type FileLike = string | Uint8Array | { type: "mem"; data?: Uint8Array };
  interface Logger {
    debug(...a: unknown[]): void;
    info(...a: unknown[]): void;
    warn(...a: unknown[]): void;
    error(...a: unknown[]): void;
  }
  interface ProofJson {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export const wtns: {
    calculate(
      input: unknown,
      wasm: FileLike,
      out: { type: "mem"; data?: Uint8Array },
      options?: unknown,
    ): Promise<void>;
  };
  export const groth16: {
    prove(
      zkey: FileLike,
      witness: FileLike,
      logger?: Logger,
      options?: { singleThread?: boolean },
    ): Promise<{ proof: ProofJson; publicSignals: string[] }>;
    fullProve(
      input: unknown,
      wasm: FileLike,
      zkey: FileLike,
      logger?: Logger,
      wtnsOptions?: unknown,
      options?: { singleThread?: boolean },
    ): Promise<{ proof: ProofJson; publicSignals: string[] }>;
    verify(vk: unknown, publicSignals: unknown[], proof: unknown, logger?: Logger): Promise<boolean>;
  };
}
