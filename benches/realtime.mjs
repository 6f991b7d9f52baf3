// Realtime load: N subscribers on posts/*, W creates per second; reports delivery latency and
// the server's memory per idle connection. Plain fetch streams, no dependencies. One core of
// JavaScript cannot parse 200,000 events a second, so only PROBES subscribers decode events and
// measure latency; the others read and discard the bytes (the server does the same work for all).
//   node benches/realtime.mjs URL SUPERUSER_TOKEN SERVER_PID SUBSCRIBERS RATE SECONDS
const [url, token, pid, subscribers, rate, seconds] = process.argv.slice(2);
const N = Number(subscribers), RATE = Number(rate), SECS = Number(seconds);
import { readFileSync } from "node:fs";

const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
const now = () => performance.timeOrigin + performance.now();
const PROBES = 50;
const latencies = [];
let drained = 0;
let connected = 0;
const controllers = [];

async function subscriber(probe) {
  const controller = new AbortController();
  controllers.push(controller);
  const res = await fetch(`${url}/api/realtime`, { signal: controller.signal });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let subscribed = false;
  const done = (async () => {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch {
        return;
      }
      if (chunk.done) return;
      if (subscribed && !probe) {
        drained += chunk.value.length;
        continue;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event:\s?(.*)$/m.exec(block)?.[1];
        const data = /^data:\s?(.*)$/m.exec(block)?.[1];
        if (!data) continue;
        const payload = JSON.parse(data);
        if (event === "PB_CONNECT" && !subscribed) {
          subscribed = true;
          const r = await fetch(`${url}/api/realtime`, { method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ clientId: payload.clientId, subscriptions: ["posts/*"] }) });
          if (r.status !== 204) throw new Error(`subscribe: ${r.status}`);
          connected++;
        } else if (event === "posts/*") {
          latencies.push(now() - Number(payload.record.title));
        }
      }
    }
  })();
  return done;
}

const before = rssKiB();
const streams = [];
for (let i = 0; i < N; i++) streams.push(subscriber(i < PROBES));
while (connected < N) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 500));
const idle = rssKiB();

let sent = 0;
const started = now();
while (now() - started < SECS * 1000) {
  const due = Math.floor(((now() - started) / 1000) * RATE);
  while (sent < due) {
    sent++;
    fetch(`${url}/api/collections/posts/records`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: token },
      body: JSON.stringify({ title: String(now()) }) }).catch(() => {});
  }
  await new Promise((r) => setTimeout(r, 2));
}
await new Promise((r) => setTimeout(r, 1500));
for (const c of controllers) c.abort();
latencies.sort((a, b) => a - b);
const pick = (q) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : 0;
console.log(JSON.stringify({
  subscribers: N, probes: Math.min(N, PROBES), writes: sent, expected: sent * Math.min(N, PROBES), delivered: latencies.length,
  p50_ms: pick(0.5), p99_ms: pick(0.99), idle_kib_per_connection: (idle - before) / N,
}));
process.exit(0);
