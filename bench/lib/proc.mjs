// One worker process seen from the orchestrator: spawn it (with a raised fd
// limit when asked; pinned to CPUs once started), read its stdout line by line,
// send it commands, and make sure it is gone afterwards. Every wait has a
// deadline: a stuck worker is killed, reported and skipped, never waited on.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export class WorkerError extends Error {}

export class Proc {
  /**
   * @param {string} label     name used in error messages ("sockit server")
   * @param {string[]} argv    command and arguments
   * @param {{ cpus?: string, nofile?: number, cwd?: string }} opts
   */
  constructor(label, argv, opts = {}) {
    this.label = label;
    let cmd = argv;
    // prlimit raises RLIMIT_NOFILE for W5 (10,000 sockets need more than
    // the usual 1024/20000); it needs root or CAP_SYS_RESOURCE to go above
    // the hard limit, so the caller only asks for it when it can work.
    if (opts.nofile) cmd = ["prlimit", `--nofile=${opts.nofile}:${opts.nofile}`, "--", ...cmd];
    this.cpus = opts.cpus;
    this.child = spawn(cmd[0], cmd.slice(1), {
      cwd: opts.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.lines = [];
    this.waiter = null;
    this.stderr = "";
    this.exited = false;
    this.exitCode = null;
    let partial = "";
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (d) => {
      partial += d;
      let i;
      while ((i = partial.indexOf("\n")) >= 0) {
        this.lines.push(partial.slice(0, i));
        partial = partial.slice(i + 1);
      }
      this.#wake();
    });
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    this.child.stdin.on("error", () => {}); // EPIPE when the worker died
    this.child.on("error", (e) => {
      this.stderr += String(e);
      this.exited = true;
      this.#wake();
    });
    this.child.on("exit", (code, signal) => {
      this.exited = true;
      this.exitCode = code ?? signal;
      this.#wake();
    });
    this.exitPromise = new Promise((r) => this.child.on("close", r));
  }

  #wake() {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /**
   * Pins every thread of the process to `cpus` (taskset -a -p). Called once
   * the worker has started and connected, before anything is measured:
   * started pinned, all of a same-core case's processes would start up one
   * after another on CPU 0. Threads created later inherit the mask.
   */
  async pin() {
    if (!this.cpus || this.exited) return;
    try {
      await execFileP("taskset", ["-a", "-p", "-c", this.cpus, String(this.child.pid)], { timeout: 10_000 });
    } catch (e) {
      throw this.#failure(`taskset -a -p -c ${this.cpus} failed: ${String(e.stderr || e.message).trim()}`);
    }
  }

  /** Sends one command line. */
  send(line) {
    if (!this.exited) this.child.stdin.write(line + "\n");
  }

  /** Resolves with the next stdout line; throws on ERROR, exit or timeout. */
  async readLine(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.exited) throw this.#failure(`exited (${this.exitCode})`);
      const left = deadline - Date.now();
      if (left <= 0) throw this.#failure(`timed out after ${timeoutMs} ms`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const line = this.lines.shift();
    if (line.startsWith("ERROR")) throw this.#failure(line.slice(6));
    return line;
  }

  /** Sends a command and returns its one-line answer. */
  async request(line, timeoutMs) {
    this.send(line);
    return this.readLine(timeoutMs);
  }

  /** Sends a command and parses its JSON answer. */
  async requestJson(line, timeoutMs) {
    const answer = await this.request(line, timeoutMs);
    try {
      return JSON.parse(answer);
    } catch {
      throw this.#failure(`unexpected answer: ${answer.slice(0, 200)}`);
    }
  }

  #failure(what) {
    const err = this.stderr.trim().split("\n").slice(-3).join(" | ");
    return new WorkerError(`${this.label}: ${what}${err ? ` — ${err.slice(0, 600)}` : ""}`);
  }

  /** Closes stdin (the worker's signal to exit); kills it if it lingers. */
  async end(graceMs = 2000) {
    if (!this.exited) this.child.stdin.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  kill() {
    if (!this.exited) this.child.kill("SIGKILL");
  }
}
