/**
 * The raw layer's clock: CLOCK_REALTIME read by clock_gettime(2), the clock
 * the kernel's receive timestamps (SO_TIMESTAMP, SO_TIMESTAMPNS) are on.
 */
import { SocketError } from "../errors.js";
import { native } from "./native.js";

/**
 * The wall clock now, in ns since the epoch: to subtract from a kernel receive
 * timestamp (SO_TIMESTAMPNS) of the same clock.
 *
 * Wraps `clock_gettime(2)` with CLOCK_REALTIME
 * ({@link https://man7.org/linux/man-pages/man2/clock_gettime.2.html}).
 * JavaScript has no such reading: `performance.timeOrigin + performance.now()`
 * is the monotonic clock plus an offset fixed at startup, wrong by however long
 * the process was descheduled between the two reads that made it, and by any
 * slew of the wall clock since — on a busy host more than a loopback round trip.
 *
 * @throws {SocketError} EINVAL (not on Linux: CLOCK_REALTIME always exists).
 */
export function clockRealtimeNs(): bigint {
  const r = native.clockRealtime();
  if (typeof r === "bigint") return r;
  throw new SocketError(r, "clock_gettime");
}
