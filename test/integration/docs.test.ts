/**
 * Every code block of the documentation runs, as the examples/ test runs
 * examples/. From each file in DOC_FILES the ```ts / ```js blocks are taken:
 *
 * - a self-contained block is written to a temporary .ts file under the repo
 *   (its `from "sockit"` pointed at src/index.ts), type-checked, then run in
 *   its own process (node --import tsx, as `npx tsx` does) with a deadline;
 *   it passes when it exits 0 (blocks check their own results with
 *   node:assert where the output matters);
 * - a block marked as a fragment — `<!-- fragment -->` on the line before
 *   the fence, or the fence ```ts fragment — is only type-checked. What it
 *   uses but does not declare goes into the marker and is put before the
 *   block for the check: `<!-- fragment: declare const s: Socket; -->`
 *   (with its own imports, if it needs them);
 * - ```sh and other languages are not run.
 *
 * A block that does not type-check, throws, exits non-zero or outlives its
 * deadline fails the test, naming its file and line.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, test } from "node:test";
import { ENTRY, ROOT } from "../helpers.js";

/** The documents whose code blocks must run: the one place to add a file. */
const DOC_FILES: string[] = [
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
  "README.md",
];

/** How long one block may run before it is killed (a hang guard, not a timing check). */
const DEADLINE_MS = Number(process.env.DOCS_DEADLINE_MS ?? 30_000);

export interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: "ts" | "js";
  fragment: boolean;
  /** Declarations put before a fragment for the type check (from its marker). */
  prelude: string;
  code: string;
}

/** The ```ts and ```js blocks of a Markdown text, with their markers. */
export function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, langRaw, info] = open as unknown as [string, string, string, string, string];
    let end = i + 1;
    while (end < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[end]!)) end++;
    const body = lines
      .slice(i + 1, end)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      .join("\n");
    const lang = langRaw.toLowerCase();
    const kind = lang === "ts" || lang === "typescript" ? "ts" : lang === "js" || lang === "javascript" ? "js" : null;
    if (kind) {
      let j = i - 1;
      while (j >= 0 && lines[j]!.trim() === "") j--;
      const marker = j >= 0 ? /^\s*<!--\s*fragment\b:?([^]*?)-->\s*$/.exec(lines[j]!) : null;
      blocks.push({
        file,
        line: i + 1,
        lang: kind,
        fragment: marker !== null || /\bfragment\b/.test(info),
        prelude: marker?.[1]?.trim() ?? "",
        code: body,
      });
    }
    i = end;
  }
  return blocks;
}

/** The block's source as a module of its own, importing sockit from the source tree. */
function moduleSource(b: Block, entry: string, withPrelude: boolean): string {
  const point = (s: string) => s.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])sockit\2/g, `$1$2${entry}$2`);
  const head = withPrelude && b.prelude ? `${point(b.prelude)}\n` : "";
  // `export {}` makes every block a module, so top-level await is allowed.
  return `${head}${point(b.code)}\nexport {};\n`;
}

function name(b: Block): string {
  return `${b.file}:${b.line}${b.fragment ? " (fragment)" : ""}`;
}

const blocks = DOC_FILES.flatMap((f) => extractBlocks(f, readFileSync(join(ROOT, f), "utf8")));

// The blocks go under the repo (so tsc finds node_modules and @types/node);
// each runs with a fresh temporary directory as its cwd.
const work = mkdtempSync(join(ROOT, "test", ".docs-blocks-"));
after(() => rmSync(work, { recursive: true, force: true }));

function fileFor(b: Block, i: number): string {
  const base = b.file.replace(/[^\w]+/g, "-");
  return join(work, `${String(i).padStart(3, "0")}-${base}-${b.line}.${b.lang === "ts" ? "ts" : "mts"}`);
}

/** Type-checks the ts blocks in one tsc run; returns the diagnostics per block file. */
function typecheck(list: { block: Block; path: string }[]): string {
  const entryRel = relative(work, ENTRY).replace(/\.ts$/, ".js");
  for (const { block, path } of list) {
    writeFileSync(path, moduleSource(block, `./${entryRel}`, true));
  }
  writeFileSync(
    join(work, "tsconfig.json"),
    JSON.stringify({
      extends: relative(work, join(ROOT, "tsconfig.json")),
      compilerOptions: { noEmit: true, rootDir: relative(work, ROOT), noUnusedLocals: false },
      include: list.map((x) => relative(work, x.path)),
    }),
  );
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(work, "tsconfig.json"), "--pretty", "false"], {
    cwd: work,
    encoding: "utf8",
    timeout: 240_000,
  });
  return r.status === 0 ? "" : `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` || `tsc exited ${r.status}`;
}

/** Runs one block in its own process; resolves with its exit and output. */
function runBlock(
  b: Block,
  path: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; killed: boolean }> {
  writeFileSync(path, moduleSource(b, ENTRY, false));
  const cwd = mkdtempSync(join(tmpdir(), "sockit-docs-block-"));
  // The cwd is outside the repo, so tsx is named by its resolved URL.
  const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), path], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, DEADLINE_MS);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, signal, out, killed });
    });
  });
}

test("the block extractor finds blocks, fragments and their preludes", () => {
  const md = [
    "# t",
    "```ts",
    'import { Socket } from "sockit";',
    "```",
    "",
    "<!-- fragment: declare const s: Socket; -->",
    "```ts",
    "s.close();",
    "```",
    "```ts fragment",
    "x;",
    "```",
    "```sh",
    "npm test",
    "```",
    "```js",
    "console.log(1);",
    "```",
  ].join("\n");
  const got = extractBlocks("t.md", md);
  assert.deepEqual(
    got.map((b) => [b.line, b.lang, b.fragment, b.prelude, b.code]),
    [
      [2, "ts", false, "", 'import { Socket } from "sockit";'],
      [7, "ts", true, "declare const s: Socket;", "s.close();"],
      [10, "ts", true, "", "x;"],
      [16, "js", false, "", "console.log(1);"],
    ],
  );
  assert.equal(
    moduleSource(got[0]!, "/x/src/index.js", false),
    'import { Socket } from "/x/src/index.js";\nexport {};\n',
  );
});

test("the documents have code blocks to check", () => {
  assert.ok(DOC_FILES.length > 0, "docs/*.md exist");
  assert.ok(blocks.length > 0, `found ${blocks.length} blocks in ${DOC_FILES.join(", ")}`);
});

describe("every code block in the docs", { timeout: 600_000 }, () => {
  const files = blocks.map((block, i) => ({ block, path: fileFor(block, i) }));
  mkdirSync(work, { recursive: true });
  let diagnostics: string | undefined;
  const checked = () => (diagnostics ??= typecheck(files.filter((f) => f.block.lang === "ts")));

  for (const { block, path } of files) {
    test(name(block), { timeout: DEADLINE_MS + 300_000 }, async () => {
      if (block.lang === "ts") {
        const base = relative(work, path);
        const mine = checked()
          .split("\n")
          .filter((l) => l.startsWith(base) || l.includes(`/${base}(`));
        assert.equal(
          mine.join("\n"),
          "",
          `${name(block)} does not type-check:\n${mine.join("\n")}\n---\n${block.code}`,
        );
        // tsc may also fail on something that is not a block (a broken src/ or tsconfig): say so.
        const outside = checked()
          .split("\n")
          .filter((l) => /error TS\d+/.test(l) && !files.some((f) => l.startsWith(relative(work, f.path))));
        assert.equal(outside.join("\n"), "", "tsc failed outside the blocks");
      }
      if (block.fragment) return;
      const r = await runBlock(block, path);
      assert.ok(!r.killed, `${name(block)} still ran after ${DEADLINE_MS} ms and was killed; output:\n${r.out}`);
      assert.equal(r.code, 0, `${name(block)} exited ${r.code ?? r.signal}; output:\n${r.out}\n---\n${block.code}`);
    });
  }
});
