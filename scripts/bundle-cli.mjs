#!/usr/bin/env node
// Builds the `sockit` command into one file, dist/cli/main.js, with its
// third-party dependencies (commander, cli-table3, ws and theirs) inlined, so
// that a user of the library installs none of them: they are devDependencies,
// pinned by the lockfile, and this repo's `npm audit` still sees them.
// The library itself stays outside the bundle: every import that lands in
// src/ is rewritten to the tsc output in dist/src/, so the CLI runs the same
// library code a user imports (and the same native addon loader).
//
// Why one package with a bundled CLI rather than a separate sockit-cli package:
// `npx sockit` and the `sockit` bin keep working from the one package, there is
// one version to release, and the cost to a library user is one file on disk
// (measured in the report), not nine packages to resolve and install.
//
// The licences of what is inlined go beside it, in dist/cli/THIRD_PARTY_LICENSES.md.
import { build } from "esbuild";
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "src") + sep;
const outfile = join(root, "dist", "cli", "main.js");

/** Imports that resolve into src/ stay imports, of dist/src/ (relative to dist/cli/main.js). */
const libraryExternal = {
  name: "sockit-library-external",
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (!target.startsWith(srcDir)) return undefined;
      const fromOut = relative(dirname(outfile), join(root, "dist", relative(root, target)))
        .split(sep)
        .join("/");
      return { path: fromOut.startsWith(".") ? fromOut : `./${fromOut}`, external: true };
    });
  },
};

const result = await build({
  entryPoints: [join(root, "cli", "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // No source map: it would name node_modules/ files the tarball doesn't ship.
  // The bundle is not minified, and esbuild marks each part with its cli/ path.
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
  // ws loads these native speed-ups if installed; absent, it uses JS.
  external: ["bufferutil", "utf-8-validate"],
  // The inlined CommonJS packages call require() for Node's built-ins; an ESM
  // bundle has none, so give it one.
  banner: {
    js: 'import { createRequire as __sockitCreateRequire } from "node:module";\nconst require = __sockitCreateRequire(import.meta.url);',
  },
  plugins: [libraryExternal],
});

chmodSync(outfile, 0o755);

// Licences of the inlined packages, from the metafile's inputs.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!m) continue;
  const dir = join(root, input.slice(0, m.index + m[0].length));
  if (packages.has(m[1])) continue;
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const licenceFile = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  packages.set(m[1], {
    version: pkg.version,
    license: pkg.license,
    text: licenceFile ? readFileSync(join(dir, licenceFile), "utf8").trim() : "(no licence file in the package)",
  });
}
const notices = [
  "# Third-party code inlined in dist/cli/main.js",
  "",
  "The `sockit` command bundles these packages (the library in dist/src does not use them).",
  "",
];
for (const [name, p] of [...packages].sort())
  notices.push(`## ${name}@${p.version} (${p.license})`, "", "```", p.text, "```", "");
writeFileSync(join(root, "dist", "cli", "THIRD_PARTY_LICENSES.md"), notices.join("\n"));
if (!existsSync(outfile)) throw new Error("bundle-cli: no output");
