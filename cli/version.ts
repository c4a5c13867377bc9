/**
 * The package's version, read from package.json at run time (two levels up
 * from dist/cli/, one from cli/ when run from source), so `sockit --version`
 * never disagrees with the package.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Returns package.json's version, or "unknown" if it cannot be found. */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "sockit" && typeof pkg.version === "string") return pkg.version;
    } catch {
      /* not here: look one level up */
    }
    dir = dirname(dir);
  }
  return "unknown";
}
