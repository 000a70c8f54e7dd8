import { showError } from './notice.js';
import type { View } from './view.js';

/**
 * A view that shows a request and refreshes itself every `everyMs` until the request ends:
 * `refresh` renders once and says whether to go on; timers the render starts (a countdown) are
 * registered with `stops` and stopped before the next render and when the view is left.
 */
export function pollingView(
  element: HTMLElement,
  everyMs: number,
  refresh: (stops: (() => void)[]) => Promise<{ again: boolean }>,
): View & { refreshNow: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let left = false;
  const stops: (() => void)[] = [];
  const run = async () => {
    clearTimeout(timer);
    const { again } = await refresh(stops);
    if (again && !left) timer = setTimeout(() => void run().catch((e: unknown) => showError(element, e)), everyMs);
  };
  return {
    element,
    load: run,
    refreshNow: () => void run().catch(() => undefined),
    leave: () => {
      left = true;
      clearTimeout(timer);
      stops.splice(0).forEach((stop) => stop());
    },
  };
}

/** Stops what the last render started (its timers), before the next render replaces it. */
export function stopAll(stops: (() => void)[]): void {
  stops.splice(0).forEach((stop) => stop());
}
