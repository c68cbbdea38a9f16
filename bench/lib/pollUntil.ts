import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Asks `check` every `intervalMs` until it answers true or the wall clock passes `deadline`
 * (epoch ms); resolves with the last answer. For figures only the store can give ("all
 * recorded done"), asked after the handlers have run so the polling does not load the run.
 */
export async function pollUntil(
  check: () => Promise<boolean>,
  deadline: number,
  intervalMs: number,
): Promise<boolean> {
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** Resolves when `promise` does or at `deadline` (epoch ms), whichever comes first: false on time-out. */
export async function settlesBy(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
