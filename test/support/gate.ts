/**
 * A gate a wrapped store waits at, opened by the test: `pass()` (called by the store) resolves `arrived` and waits
 * until the test calls `open()`.
 */
export function gate(): { open: () => void; arrived: Promise<void>; pass: () => Promise<void> } {
  let open: () => void = () => {};
  let reached: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const arrived = new Promise<void>((resolve) => {
    reached = resolve;
  });
  return {
    open,
    arrived,
    pass: async () => {
      reached();
      await opened;
    },
  };
}
