/**
 * Finds the compiled addon (sockit.node) for this process and explains, when it
 * can't be loaded, what the person running it should do. src/raw/native.ts loads
 * the file this returns; nothing here loads a .node file.
 *
 * Order, first hit wins:
 *   1. SOCKIT_ADDON=/path/to/sockit.node: exactly that file (bundles, unusual layouts).
 *   2. node-gyp-build's resolve(package root): build/Release (a source build: a clone,
 *      or an install that compiled) before prebuilds/<platform>-<arch>/sockit.<libc>.node.
 *   3. Without a package root (a bundle): the same search in the folder that holds this
 *      code, so prebuilds/ copied next to the bundle is found.
 */
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { basename, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The env var that names the addon file outright. */
export const ADDON_ENV = "SOCKIT_ADDON";

/** The outcome of the search: a file to load, or what was tried. */
export interface AddonSearch {
  /** The .node file to load; undefined when none was found. */
  readonly file: string | undefined;
  /** Where it came from. */
  readonly source: "env" | "build" | "prebuild" | "none";
  /** The folder holding sockit's package.json; undefined when this code runs from a bundle. */
  readonly root: string | undefined;
  /** Why each place tried came up empty. */
  readonly tried: readonly string[];
  /** "linux-x64-glibc": what this process needs. */
  readonly target: string;
}

/** process.env[name], or undefined where reading it is not allowed (Deno without --allow-env throws). */
function env(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

/** This file's path: import.meta.url in ESM; __filename in a CommonJS bundle, where import.meta is empty. */
function here(): string {
  const url = (import.meta as { url?: string }).url;
  if (typeof url === "string") return fileURLToPath(url);
  if (typeof __filename === "string") return __filename;
  return join(process.cwd(), "sockit.js");
}

/** The nearest folder at or above `from` whose package.json is sockit's. */
function packageRoot(from: string): string | undefined {
  let dir = from;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "sockit") return dir;
      } catch {
        // An unreadable package.json is not ours; keep walking.
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The C library this process runs on, read from its own mappings: node-gyp-build
 * guesses musl only where /etc/alpine-release exists, which misses musl runtimes
 * on other distributions (Void, a musl Bun on Debian). undefined when unknown.
 */
export function runtimeLibc(): "glibc" | "musl" | undefined {
  try {
    for (const line of readFileSync("/proc/self/maps", "utf8").split("\n")) {
      const at = line.indexOf("/");
      if (at < 0) continue;
      const file = line.slice(at);
      const base = basename(file);
      // Alpine: /lib/ld-musl-x86_64.so.1 (libc.musl-x86_64.so.1); Debian's musl: /usr/lib/x86_64-linux-musl/libc.so.
      if (/^(ld-musl-|libc\.musl-)/.test(base) || /-linux-musl\/libc\.so$/.test(file)) return "musl";
      if (/^(libc\.so\.6|ld-linux-)/.test(base)) return "glibc";
    }
  } catch {
    // No /proc (not Linux, or a sandbox): let node-gyp-build decide.
  }
  return undefined;
}

interface NodeGypBuild {
  resolve(dir: string): string;
}

/**
 * node-gyp-build, required at run time from the real file system (not imported:
 * a bundler would inline it, and its CommonJS requires fail inside an ESM bundle).
 */
function nodeGypBuild(require: NodeJS.Require): NodeGypBuild | undefined {
  try {
    return require("node-gyp-build") as NodeGypBuild;
  } catch {
    return undefined;
  }
}

/**
 * node-gyp-build picks a prebuild by its libc tag from LIBC or /etc/alpine-release;
 * where that guess is wrong, the sibling built for the libc actually mapped is used.
 */
function fixLibc(file: string, libc: "glibc" | "musl" | undefined): string {
  if (libc === undefined || env("LIBC") !== undefined) return file;
  const m = /^(.*)\.(glibc|musl)\.node$/.exec(basename(file));
  if (!m || m[2] === libc) return file;
  const sibling = join(dirname(file), `${m[1]}.${libc}.node`);
  return existsSync(sibling) ? sibling : file;
}

/** Looks for the addon; never throws. */
export function locateAddon(): AddonSearch {
  const self = here();
  const libc = runtimeLibc();
  const target = `${platform()}-${arch()}-${libc ?? "unknown libc"}`;
  const root = packageRoot(dirname(self));
  const tried: string[] = [];

  const named = env(ADDON_ENV);
  const fromEnv = named ? resolve(named) : undefined;
  if (fromEnv !== undefined) {
    if (existsSync(fromEnv)) return { file: fromEnv, source: "env", root, tried, target };
    tried.push(`${ADDON_ENV}=${fromEnv}: no such file`);
    return { file: undefined, source: "none", root, tried, target };
  }

  const dir = root ?? dirname(self);
  const ngb = nodeGypBuild(createRequire(self));
  if (ngb !== undefined) {
    try {
      const file = fixLibc(ngb.resolve(dir), libc);
      const source = file.split(sep).includes("prebuilds") ? "prebuild" : "build";
      return { file, source, root, tried, target };
    } catch {
      tried.push(
        `${join(dir, "build", "Release")} and ${join(dir, "prebuilds", `${platform()}-${arch()}`)}: nothing for ${target}`,
      );
    }
  } else {
    // A bundle deployed without node_modules has no node-gyp-build to ask:
    // look for the one name prebuildify gives our prebuilds.
    const file = join(dir, "prebuilds", `${platform()}-${arch()}`, `sockit.${libc ?? "glibc"}.node`);
    if (existsSync(file)) return { file, source: "prebuild", root, tried, target };
    tried.push(`${file}: no such file (and node-gyp-build could not be required from ${dir})`);
  }
  return { file: undefined, source: "none", root, tried, target };
}

const SUPPORTED = ["linux-x64", "linux-arm64"];

/** Advice for "no addon found", fitted to how sockit got here. */
function notFoundAdvice(s: AddonSearch): string[] {
  if (platform() !== "linux") return [`sockit supports Linux only; this is ${platform()}.`];
  if (s.tried[0]?.startsWith(`${ADDON_ENV}=`)) {
    return [`${ADDON_ENV} names a file that does not exist: point it at sockit.node for ${s.target}, or unset it.`];
  }
  if (s.root === undefined) {
    return [
      "sockit seems to be bundled (its package.json is not above this file), and its addon was not copied along. Either:",
      "  - mark sockit external in the bundler (esbuild --external:sockit; webpack externals; rollup external) and install it next to the bundle, or",
      "  - copy node_modules/sockit/prebuilds/ next to the bundle file, or",
      `  - set ${ADDON_ENV}=/path/to/sockit.node (a file from sockit's prebuilds/ or build/Release/).`,
    ];
  }
  if (existsSync(join(s.root, ".git"))) {
    return ["This is a source checkout: build the addon with `npm ci` (or `npm run build:native`)."];
  }
  const pnpm = s.root.split(sep).includes(".pnpm");
  const lines = [
    SUPPORTED.includes(`${platform()}-${arch()}`)
      ? `This copy of sockit carries no prebuilt addon for ${s.target}, and none was compiled when it was installed.`
      : `sockit ships prebuilt addons for ${SUPPORTED.join(" and ")} (glibc and musl); on ${s.target} it compiles at install time.`,
    "Install a C toolchain (make, cc, c++, python3; Debian/Ubuntu: apt-get install build-essential python3; Alpine: apk add build-base python3),",
    pnpm
      ? "allow sockit's install script (pnpm approve-builds, or onlyBuiltDependencies in pnpm-workspace.yaml), then pnpm rebuild sockit."
      : "then run `npm rebuild sockit` with install scripts enabled (not --ignore-scripts).",
  ];
  return lines;
}

/** The error for "no addon file was found". */
export function addonNotFoundError(s: AddonSearch): Error {
  const err = new Error(
    [
      `sockit: no native addon for ${s.target} was found.`,
      ...notFoundAdvice(s),
      "Looked in:",
      ...s.tried.map((t) => `  - ${t}`),
    ].join("\n"),
  );
  Object.defineProperty(err, "code", { value: "ERR_SOCKIT_ADDON_NOT_FOUND", enumerable: true });
  return err;
}

/** The error for "a file was found but the runtime refused it". */
export function addonLoadError(s: AddonSearch, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
  const lines = [
    `sockit: the native addon ${s.file} was found but failed to load: ${reason}`,
    `This process needs one built for ${s.target}; a file built for another CPU or C library (glibc vs musl),`,
    "or against a newer glibc than this system's, fails this way.",
  ];
  if (s.source === "env") lines.push(`${ADDON_ENV} names that file: point it at the one for ${s.target}.`);
  else if (s.source === "build")
    lines.push(
      "It was compiled from source: rebuild it here (npm rebuild sockit, or npm run build:native in a clone).",
    );
  else lines.push(`Reinstall sockit on this machine, or compile it here: npm rebuild sockit --build-from-source.`);
  const err = new Error(lines.join("\n"), { cause });
  Object.defineProperty(err, "code", { value: "ERR_SOCKIT_ADDON_LOAD_FAILED", enumerable: true });
  return err;
}
