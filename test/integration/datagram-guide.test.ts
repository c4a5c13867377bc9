/**
 * The API guide's (docs/guide.md) migration guides for DatagramSocket ("Events: DatagramSocket, and
 * moving over from unix-dgram, node-unix-socket, node:dgram"), run as they
 * stand: each code block after a `<!-- datagram-guide: NAME -->` marker is
 * written to a temporary module (its `from "sockit"` pointed at this
 * checkout), run in its own node process with tsx, and must print what the
 * guide says and then exit by itself (every socket closed, nothing left
 * holding the loop).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { ENTRY, ROOT, spawnChild, tempDir, within } from "../helpers.js";

const README = readFileSync(join(ROOT, "docs", "guide.md"), "utf8");
const dir = tempDir("sockit-guide-");
after(dir.cleanup);

/** The code block that follows `<!-- datagram-guide: name -->`. */
function snippet(name: string): string {
  const m = new RegExp(`<!-- datagram-guide: ${name} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\``).exec(README);
  assert.ok(m, `docs/guide.md has no datagram-guide block named ${name}`);
  return m[1]!;
}

/** What each guide prints (in any order). */
const EXPECTED: Record<string, string[]> = {
  "unix-dgram": ["hello from the server"],
  "node-unix-socket": ["datagram: note", "seqpacket echo: over seqpacket"],
  "node-dgram": ["ping from IPv4 127.0.0.1"],
};

for (const [name, lines] of Object.entries(EXPECTED)) {
  test(`docs/guide.md: the guide for ${name} users runs and exits by itself`, async () => {
    const source = snippet(name).replaceAll(`from "sockit"`, `from ${JSON.stringify(ENTRY)}`);
    assert.notEqual(source, snippet(name), "the guide imports sockit");
    const file = join(dir.path, `${name}.mts`);
    writeFileSync(file, source);
    const child = spawnChild(process.execPath, ["--import", "tsx", file]);
    try {
      const got: string[] = [];
      for (let i = 0; i < lines.length; i++) got.push(await child.line(`line ${i + 1} of the ${name} guide`));
      assert.deepEqual(got.sort(), [...lines].sort());
      const { code, stderr } = await within(child.exited, `the ${name} guide's process exits`);
      assert.equal(code, 0, stderr);
    } finally {
      child.kill();
    }
  });
}
