// Starts s3s-fs (a real S3 server that checks signatures) on a free loopback port.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { freePort } from "./net.mjs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = process.env.TEST_S3S_BIN || "s3s-fs";
export const BUCKET = "croft";
const KEYS = { access: "croft-access", secret: "croft-secret-key" };


export async function startS3() {
  const root = mkdtempSync(join(tmpdir(), "s3s-"));
  mkdirSync(join(root, BUCKET));
  const port = await freePort();
  const child = spawn(
    BIN,
    ["--host", "127.0.0.1", "--port", String(port), "--access-key", KEYS.access, "--secret-key", KEYS.secret, root],
    { stdio: "ignore" },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch (e) {
      if (i > 200) throw new Error(`s3s-fs did not start: ${e}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    endpoint,
    root,
    /// Environment that makes Croft store files in this bucket.
    croftEnv: {
      CROFT_STORAGE__BACKEND: "s3",
      CROFT_STORAGE__S3__ENDPOINT: endpoint,
      CROFT_STORAGE__S3__BUCKET: BUCKET,
      CROFT_STORAGE__S3__REGION: "us-east-1",
      CROFT_STORAGE__S3__ACCESS_KEY: KEYS.access,
      CROFT_STORAGE__S3__SECRET: KEYS.secret,
      CROFT_STORAGE__S3__FORCE_PATH_STYLE: "true",
    },
    /// The same bucket in PocketBase's `s3` settings shape.
    settings: {
      enabled: true, bucket: BUCKET, region: "us-east-1", endpoint, accessKey: KEYS.access,
      secret: KEYS.secret, forcePathStyle: true,
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
