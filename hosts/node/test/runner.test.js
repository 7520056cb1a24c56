// The Node host end to end: the real component (jco-transpiled) in a worker against
// graph-sim, the allowlist seen from the guest, and the per-invocation time limit.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { ALL_CLOUD_HOSTS } from "../src/connection.js";
import { NodeHost } from "../src/runner.js";
import { BINDINGS, startSim } from "./sim.js";

let sim;
before(async () => {
  sim = await startSim();
});
after(() => sim?.stop());

const routesTo = (url) => Object.fromEntries(ALL_CLOUD_HOSTS.map((h) => [h, url]));

function host(options = {}) {
  return new NodeHost({
    bindings: BINDINGS,
    fileRoot: mkdtempSync(path.join(tmpdir(), "o365-node-")),
    routes: routesTo(sim.url),
    ...options,
  });
}

test("test-connection runs in a worker against graph-sim, without a secret in its output", async () => {
  const app = sim.demo("demo-app");
  const outcome = await host().run("demo-app", app, "test-connection");
  assert.equal(outcome.result.status, "successful", JSON.stringify(outcome.result.errors));
  assert.ok(outcome.result["raw-data"].commands.length > 10);
  assert.deepEqual(outcome.deniedHosts, []);
  const everything = JSON.stringify(outcome);
  assert.ok(!everything.includes(app["client-secret"]), "the client secret never comes back");
});

test("with one worker, invocations wait their turn and all finish", async () => {
  const h = host({ workers: 1 });
  const app = sim.demo("demo-app");
  const outcomes = await Promise.all([1, 2, 3].map(() => h.run("demo-app", app, "test-connection")));
  assert.deepEqual(
    outcomes.map((o) => o.result.status),
    ["successful", "successful", "successful"],
  );
  await h.close();
});

test("a worker that cannot start fails the call and leaves its place in the pool", async () => {
  const broken = mkdtempSync(path.join(tmpdir(), "o365-broken-"));
  for (const f of readdirSync(BINDINGS).filter((f) => f.endsWith(".wasm"))) {
    copyFileSync(path.join(BINDINGS, f), path.join(broken, f));
  }
  writeFileSync(path.join(broken, "office365.js"), 'throw new Error("broken bindings");\n');
  const h = host({ bindings: broken, workers: 1 });
  await assert.rejects(h.describe(), /broken bindings/);
  await assert.rejects(h.describe(), /broken bindings/, "a second worker is started, not waited for");
  assert.equal(h.workerCount, 0);
});

test("a host the operator blocks is refused inside the guest's request", async () => {
  const outcome = await host({ deniedHosts: ["graph.microsoft.com"] }).run(
    "demo-app",
    sim.demo("demo-app"),
    "test-connection",
  );
  assert.equal(outcome.result.status, "failed");
  assert.deepEqual([...new Set(outcome.deniedHosts)], ["graph.microsoft.com"]);
  assert.ok(outcome.logs.some((l) => l.message.includes("blocked by the operator")));
});

/** A proxy in another process that forwards to graph-sim and counts token requests. */
async function countingProxy(target) {
  const child = spawn(process.execPath, [
    "-e",
    `const http = require("node:http"); let tokens = 0;
     http.createServer((q, s) => {
       if (q.url === "/__count") return s.end(String(tokens));
       if (q.url.endsWith("/oauth2/v2.0/token")) tokens++;
       const out = http.request(${JSON.stringify(target)} + q.url, { method: q.method, headers: q.headers },
         (r) => { s.writeHead(r.statusCode, r.headers); r.pipe(s); });
       q.pipe(out);
     }).listen(0, "127.0.0.1", function () { console.log(this.address().port); });`,
  ]);
  const port = await new Promise((r) => child.stdout.once("data", (d) => r(String(d).trim())));
  const url = `http://127.0.0.1:${port}`;
  return { url, count: async () => Number(await (await fetch(`${url}/__count`)).text()), stop: () => child.kill() };
}

test("invocations starting together in several workers make one token request", async () => {
  const proxy = await countingProxy(sim.url);
  try {
    const h = host({ routes: routesTo(proxy.url) });
    await h.describe();
    const app = sim.demo("demo-app");
    // Not test-connection: it always asks for a new token, on purpose.
    const input = { "Email Addresses or User IDs": ["alex.wilber@contoso.example"] };
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map(() => h.run("demo-app", app, "list-mail-folders", input)),
    );
    for (const o of outcomes) assert.equal(o.result.status, "successful", JSON.stringify(o.result.errors));
    assert.equal(await proxy.count(), 1, "one refresher, three waiters");
    await h.run("other-connection-of-the-same-app", app, "list-mail-folders", input);
    assert.equal(await proxy.count(), 2, "another connection id never shares the token");
  } finally {
    proxy.stop();
  }
});

test("a rotated refresh token reaches the platform and nowhere else", async () => {
  const stored = [];
  const h = host({ onRefreshToken: (id, token) => stored.push([id, token]) });
  const delegated = sim.demo("demo-delegated");
  const outcome = await h.run("analyst-1", delegated, "list-mail-folders", {});
  assert.equal(outcome.result.status, "successful", JSON.stringify(outcome.result.errors));
  assert.equal(stored.length, 1);
  const [id, rotated] = stored[0];
  assert.equal(id, "analyst-1");
  assert.notEqual(rotated, delegated["refresh-token"]);
  assert.equal(outcome.rotatedRefreshToken, rotated);
  const shown = JSON.stringify([outcome.result, outcome.logs]);
  assert.ok(!shown.includes(rotated) && !shown.includes(delegated["refresh-token"]));
});

test("an invocation past its time limit is stopped and fails with 504", async () => {
  // A server that accepts and never answers, in another process.
  const silent = spawn(process.execPath, [
    "-e",
    `require("node:net").createServer(() => {}).listen(0, "127.0.0.1", function () { console.log(this.address().port); });`,
  ]);
  const port = await new Promise((r) => silent.stdout.once("data", (d) => r(String(d).trim())));
  try {
    const h = host({ routes: routesTo(`http://127.0.0.1:${port}`), timeoutMs: 1500 });
    await h.describe(); // the manifest first, so the timing below is the invocation's
    const outcome = await h.run("demo-app", sim.demo("demo-app"), "test-connection");
    assert.equal(outcome.result.status, "failed");
    assert.equal(outcome.result.errors[0]["status-code"], 504);
    assert.match(outcome.result.errors[0].message, /did not finish within 1.5 s/);
    assert.equal(outcome.result.errors[0]["failure-indicator"], "Test Connection failed.");
    assert.ok(outcome.elapsedMs < 5000, `stopped after ${outcome.elapsedMs} ms`);
    // The stopped worker is replaced: the pool still answers.
    assert.equal((await h.describe()).name, "Office 365");
  } finally {
    silent.kill();
  }
});
