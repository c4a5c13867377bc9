/**
 * Address arguments of the relay commands: parsed with cli/address.ts, and a
 * bad one reported with the caret display and exit code 2.
 */
import { AddressError, type Endpoint, parseEndpoint } from "../address.js";
import type { Context } from "../runtime.js";

/**
 * Parses each address (`roles.listen`: a kind-less `PORT` or `HOST:PORT` is
 * tcp-listen: instead of tcp:); on the first bad one prints the error with its caret
 * (`sockit: invalid address …` then the address and a `^` line) and returns
 * undefined — the caller returns EXIT.USAGE.
 */
export function parseAddresses(
  ctx: Context,
  texts: readonly string[],
  roles: { listen?: boolean } = {},
): Endpoint[] | undefined {
  const out: Endpoint[] = [];
  for (const t of texts) {
    try {
      out.push(parseEndpoint(t, roles));
    } catch (e) {
      if (e instanceof AddressError) {
        ctx.out.stderr.write(e.render());
        return undefined;
      }
      throw e;
    }
  }
  return out;
}
