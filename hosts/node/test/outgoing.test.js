// wasi:http behind the allowlist, with preview2-shim's own request objects: refusals never
// reach the shim's handler; a routed request arrives at the route with its path, query
// and the host it asked for in x-forwarded-host.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { http } from "@bytecodealliance/preview2-shim";
import { hostView } from "../src/connection.js";
import { policyFor } from "../src/egress.js";
import { guardedOutgoingHandler } from "../src/outgoing.js";

const { Fields, OutgoingRequest } = http.types;
const enc = new TextEncoder();

function request(scheme, authority, pathWithQuery, headers = []) {
  const fields = Fields.fromList(headers.map(([k, v]) => [k, enc.encode(v)]));
  const r = new OutgoingRequest(fields);
  r.setScheme({ tag: scheme });
  r.setAuthority(authority);
  r.setPathWithQuery(pathWithQuery);
  return r;
}

function guarded(routes = {}) {
  const sent = [];
  const denied = [];
  const spy = { handle: (req) => sent.push(req) };
  const view = hostView({ environment: "commercial-gcc", "tenant-id": "contoso.example" });
  const handler = guardedOutgoingHandler(
    routes.real ?? spy,
    policyFor(view, routes.to ?? {}),
    () => ["the-access-token"],
    (host, reason) => denied.push([host, reason]),
  );
  return { handler, sent, denied };
}

test("refused requests answer HTTP-request-denied and are never handed to the shim", () => {
  const { handler, sent, denied } = guarded();
  const cases = [
    ["HTTPS", "169.254.169.254", "/latest/meta-data", []],
    ["HTTP", "graph.microsoft.com", "/v1.0/me", []],
    ["HTTPS", "graph.microsoft.com:8443", "/v1.0/me", []],
    ["HTTPS", "login.microsoftonline.com", "/fabrikam.example/oauth2/v2.0/token", []],
    ["HTTPS", "outlook.office.com", "/upload?authtoken=x", [["authorization", "Bearer the-access-token"]]],
  ];
  for (const [scheme, authority, path, headers] of cases) {
    assert.throws(
      () => handler.handle(request(scheme, authority, path, headers)),
      (e) => e.tag === "HTTP-request-denied",
      `${scheme} ${authority}${path}`,
    );
  }
  assert.equal(sent.length, 0);
  assert.equal(denied.length, cases.length);
  assert.ok(denied.every(([, reason]) => reason.startsWith("denied: ")));
});

test("an allowed request goes out unchanged when no route is set", () => {
  const { handler, sent } = guarded();
  handler.handle(request("HTTPS", "graph.microsoft.com", "/v1.0/me"));
  assert.equal(sent.length, 1);
  assert.equal(sent[0].authority(), "graph.microsoft.com");
  assert.equal(sent[0].scheme().tag, "HTTPS");
});

/** A server in another process (the shim blocks this thread while it waits). */
async function echoServer() {
  const child = spawn(process.execPath, [
    "-e",
    `require("node:http").createServer((q, s) => {
       s.setHeader("content-type", "application/json");
       s.end(JSON.stringify({ url: q.url, headers: q.headers }));
     }).listen(0, "127.0.0.1", function () { console.log(this.address().port); });`,
  ]);
  const port = await new Promise((resolve) => child.stdout.once("data", (d) => resolve(String(d).trim())));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

function readAll(response) {
  const stream = response.consume().stream();
  const chunks = [];
  for (;;) {
    try {
      chunks.push(stream.blockingRead(65536n));
    } catch (e) {
      if (e.tag === "closed") break;
      throw e;
    }
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

test("a routed request reaches the route with its path, query and forwarded host", async () => {
  const server = await echoServer();
  try {
    const { handler } = guarded({
      real: http.outgoingHandler,
      to: { "graph.microsoft.com": `${server.url}/sim` },
    });
    const req = request("HTTPS", "graph.microsoft.com", "/v1.0/me/mailFolders?%24top=1", [
      ["x-forwarded-host", "spoofed.example"],
    ]);
    req.body(); // the guest writes no body: finished below
    const future = handler.handle(req);
    future.subscribe().block();
    const answer = future.get();
    assert.equal(answer.tag, "ok");
    assert.equal(answer.val.tag, "ok");
    const echoed = readAll(answer.val.val);
    assert.equal(echoed.url, "/sim/v1.0/me/mailFolders?%24top=1");
    assert.equal(echoed.headers["x-forwarded-host"], "graph.microsoft.com", "the guest cannot spoof it");
  } finally {
    server.stop();
  }
});
