// Starts the reference PocketBase and Croft side by side on free loopback ports.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { freePort } from "../net.mjs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { startCroft, croft } from "../server.mjs";

export const ADMIN = { email: "admin@example.com", password: "password123" };


async function waitHealthy(url) {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not become healthy`);
}

export async function startPocketBase() {
  const bin = process.env.TEST_POCKETBASE_BIN;
  if (!bin) throw new Error("set TEST_POCKETBASE_BIN to the PocketBase 0.40.6 binary");
  const dir = mkdtempSync(join(tmpdir(), "pb-ref-"));
  execFileSync(bin, ["superuser", "upsert", ADMIN.email, ADMIN.password, "--dir", join(dir, "pb_data")]);
  const port = await freePort();
  const child = spawn(bin, ["serve", "--http", `127.0.0.1:${port}`, "--dir", join(dir, "pb_data")], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url);
  return {
    url,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startBoth() {
  const [pb, cr] = await Promise.all([startPocketBase(), startCroft()]);
  croft(cr.dir, "superuser", "upsert", ADMIN.email, ADMIN.password);
  return { pb, cr };
}

export async function superuserClient(url) {
  const client = new PocketBase(url);
  client.autoCancellation(false);
  await client.collection("_superusers").authWithPassword(ADMIN.email, ADMIN.password);
  return client;
}

/// Tokens for every identity the cases use: su, guest (none), u1, u2, u3.
export async function tokensFor(url, users, password) {
  const out = { guest: null, su: (await superuserClient(url)).authStore.token };
  for (const [i, u] of users.entries()) {
    const c = new PocketBase(url);
    await c.collection("users").authWithPassword(u.email, password);
    out[`u${i + 1}`] = c.authStore.token;
  }
  return out;
}

/// Drops what legitimately differs between servers (timestamps) and sorts keys.
export function withoutTimestamps(v) {
  if (Array.isArray(v)) return v.map(withoutTimestamps);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v).sort()) if (k !== "created" && k !== "updated") out[k] = withoutTimestamps(v[k]);
    return out;
  }
  return v;
}

/// Both servers, each seeded with `diff/seed.mjs` through a superuser client of its own.
export async function startSeeded() {
  const { seed } = await import("./seed.mjs");
  const servers = await startBoth();
  const clients = { pb: await superuserClient(servers.pb.url), cr: await superuserClient(servers.cr.url) };
  await seed(clients.pb);
  await seed(clients.cr);
  return {
    servers,
    clients,
    async stop() {
      await servers.pb.stop();
      await servers.cr.stop();
    },
  };
}
