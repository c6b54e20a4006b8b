/**
 * Every react-query key in the app, built here so keys are typed and invalidation is by prefix:
 * `queryClient.invalidateQueries({ queryKey: queryKeys.engine.all })` refreshes every engine view.
 * Later issues add their families here (chain, prices, guardians, wallet).
 */
export const queryKeys = {
  engine: {
    all: ["engine"] as const,
    info: () => ["engine", "info"] as const,
    summary: () => ["engine", "summary"] as const,
  },
} as const;
