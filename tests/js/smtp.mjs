// A real SMTP sink (aiosmtpd from PyPI, writing a maildir) on a free loopback port, and a reader
// for what it received.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { freePort } from "./net.mjs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PYTHON = process.env.TEST_PYTHON || "python3";


/// Quoted-printable soft breaks and escapes, as mail servers get HTML bodies.
function decodeQP(text) {
  return text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

function parse(raw) {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = rest.join("\n\n");
  // Whole message or any of its parts in quoted-printable: decode (soft breaks split tokens).
  if (/quoted-printable/i.test(headers["content-transfer-encoding"] || "") || /Content-Transfer-Encoding: quoted-printable/i.test(body)) {
    body = decodeQP(body);
  }
  if (/base64/i.test(headers["content-transfer-encoding"] || "")) body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return { to: headers["to"] || "", subject: headers["subject"] || "", from: headers["from"] || "", body };
}

/// Maildir names are `<seconds>.M<microseconds>P<pid>Q<counter>.<host>` with unpadded numbers:
/// order them by those numbers, not as text (two mails in one second sort wrong as text).
function byDelivery(a, b) {
  const key = (n) => (n.match(/^(\d+)\.M(\d+)P\d+Q(\d+)/) || [0, 0, 0, 0]).slice(1).map(Number);
  const [x, y] = [key(a), key(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

export async function startSmtp() {
  const dir = mkdtempSync(join(tmpdir(), "smtp-"));
  const port = await freePort();
  const child = spawn(PYTHON, ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", join(dir, "mail")], { stdio: "ignore" });
  for (let i = 0; ; i++) {
    const up = await new Promise((resolve) => {
      const s = connect(port, "127.0.0.1", () => { s.end(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (up) break;
    if (i > 200) throw new Error("aiosmtpd did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const read = () => {
    const box = join(dir, "mail", "new");
    let names = [];
    try { names = readdirSync(box).sort(byDelivery); } catch {}
    return names.map((n) => parse(readFileSync(join(box, n), "utf8")));
  };
  return {
    port,
    /// PocketBase's `smtp` settings for this sink.
    settings: { enabled: true, host: "127.0.0.1", port, tls: false },
    read,
    /// Waits for a mail to `to` whose subject matches, and returns it (the newest).
    async waitFor(to, subject = /./) {
      for (let i = 0; i < 200; i++) {
        const hit = read().filter((m) => m.to.includes(to) && subject.test(m.subject)).pop();
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no mail to ${to} matching ${subject}`);
    },
    count: () => read().length,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
