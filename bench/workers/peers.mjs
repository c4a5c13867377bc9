// Helpers shared by the npm-peer workers (unix-dgram, node-unix-socket).
//
// Both addons call into JavaScript from libuv callbacks without a callback
// scope (Nan::Call; napi-rs JsFunction::call), so promises resolved inside
// their events do not run until some unrelated callback drains the microtask
// queue. The peer workers therefore stay in plain callbacks while measuring
// and cross back into promise land through setImmediate, which runs inside
// Node's own scope. That is what a user of these modules has to do too.
import { MSG, now } from "./common.mjs";

export const msg = Buffer.alloc(MSG, "p");

/** Resolves `resolve(value)` from a clean Node callback. */
export const settleLater = (resolve, value) => setImmediate(() => resolve(value));

/**
 * W1 ping-pong in callbacks: `subscribe(onMessage)` attaches the receive
 * handler and returns a detach function; `send(buf)` sends one message.
 */
export function pingPong(subscribe, send) {
  return {
    run: (secs) =>
      new Promise((resolve) => {
        let ops = 0;
        let got = 0;
        const t0 = now();
        const end = t0 + secs;
        const detach = subscribe((d) => {
          got += d.length;
          if (got < MSG) return;
          got -= MSG;
          ops++;
          const t = now();
          if (t < end) send(msg);
          else {
            detach();
            settleLater(resolve, { ops, secs: t - t0 });
          }
        });
        send(msg);
      }),
  };
}
