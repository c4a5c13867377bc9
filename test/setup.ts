/**
 * Loaded into every test file's process (`--import`, see package.json). Once
 * the file's last test has ended, a process still alive 10 s later — a
 * failed test left a call waiting, a child unreaped — exits, so that one
 * failure cannot hang the run. Node's own --test-force-exit would do it at
 * once, but Node 20's exits before its reporter has written the file's last
 * results (they are lost from the count).
 */
import { after } from "node:test";

if (process.env.NODE_TEST_CONTEXT?.startsWith("child")) {
  after(() => {
    setTimeout(() => {
      process.stderr.write(`${process.argv[1] ?? "a test file"}: still running 10 s after its last test; exiting\n`);
      process.exit();
    }, 10_000).unref();
  });
}
