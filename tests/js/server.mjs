// Starts a real `croft serve` on a free port with a fresh data directory, for SDK tests.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const BIN = process.env.TEST_CROFT_BIN;
if (!BIN) throw new Error("set TEST_CROFT_BIN to the croft binary");

export function croft(dir, ...args) {
  return execFileSync(BIN, [...args, "--dir", dir], { encoding: "utf8" });
}

/// `args` are more flags of `croft serve`, e.g. ["--mount", "/it=./it-app"].
export async function startCroft({ dir = mkdtempSync(join(tmpdir(), "croft-js-")), addr = "127.0.0.1:0", env = {}, args = [] } = {}) {
  const child = spawn(BIN, ["serve", "--http", addr, "--dir", dir, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const lines = createInterface({ input: child.stdout });
  const output = [];
  lines.on("line", (line) => output.push(line));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("croft did not start within 20 s")), 20000);
    child.once("exit", (code) => reject(new Error(`croft exited early with ${code}`)));
    lines.on("line", (line) => {
      const m = line.match(/^Server started at (\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  return {
    url,
    dir,
    /// Every line the server printed so far.
    output,
    async stop({ keepData = false } = {}) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const code = await exited;
      if (!keepData) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
