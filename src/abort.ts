/**
 * One "abort" listener per AbortSignal, however many waiting calls share it.
 *
 * A signal passed to every call of a server (one per request, or one for the
 * whole process) would otherwise carry one listener per waiting call: past 10
 * Node prints MaxListenersExceededWarning, and each listener costs a closure
 * the signal keeps until the call settles. Here the first subscriber adds the
 * one listener; the last one to leave removes it, so a signal whose calls have
 * all settled carries nothing of ours (events.getEventListeners shows 0).
 */

/** The callbacks waiting on each signal, in subscription order. */
const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

function fire(this: AbortSignal): void {
  const set = subscribers.get(this);
  if (set === undefined) return;
  subscribers.delete(this);
  // Each callback settles its call; one that throws must not starve the rest.
  for (const fn of set) {
    try {
      fn();
    } catch (e) {
      queueMicrotask(() => {
        throw e;
      });
    }
  }
}

/**
 * Runs `fn` once when `signal` aborts; returns the function that cancels it
 * (call it when the call settles). The signal must not be aborted yet: callers
 * check `signal.aborted` first and reject at once.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = subscribers.get(signal);
  if (set === undefined) {
    subscribers.set(signal, (set = new Set()));
    signal.addEventListener("abort", fire, { once: true });
  }
  set.add(fn);
  return () => {
    const s = subscribers.get(signal);
    if (s === undefined || !s.delete(fn) || s.size > 0) return;
    subscribers.delete(signal);
    signal.removeEventListener("abort", fire);
  };
}
