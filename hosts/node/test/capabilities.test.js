// The imports a worker gives the component, without the component: the sandboxed
// wasi:cli, reply links, log limits and redaction.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { componentImports, LogSink } from "../src/capabilities.js";
import { Redactor } from "../src/redact.js";

function imports({ responseLinkBase = null, rpc = () => null } = {}) {
  const lines = [];
  const redactor = new Redactor(["s3cret-value"]);
  const logs = new LogSink({}, (level, message) => lines.push([level, message]));
  const inv = {
    connectionId: "c",
    fileRoot: mkdtempSync(path.join(tmpdir(), "o365-cap-")),
    responseLinkBase,
    policy: { loginHost: "", tenant: "", graphHost: "", uploadHosts: [] },
  };
  return { imports: componentImports(inv, rpc, redactor, logs, () => {}), lines, redactor };
}

test("the guest gets no environment, no arguments, no stdin, and cannot end the process", () => {
  process.env.O365_TEST_SECRET_VARIABLE = "do-not-leak";
  const { imports: i } = imports();
  assert.deepEqual(i["wasi:cli/environment"].getEnvironment(), []);
  assert.deepEqual(i["wasi:cli/environment"].getArguments(), []);
  assert.throws(() => i["wasi:cli/exit"].exit({ tag: "err" }), /wasi:cli\/exit/);
  assert.throws(() => i["wasi:cli/stdin"].getStdin(), /stdin/);
});

test("reply links only for URL-safe tracking ids, and none without a page", () => {
  const { imports: i } = imports({ responseLinkBase: "https://soar.example/respond/" });
  const link = i["soar:office365/reply-tracking"].responseLink;
  assert.equal(link("ab-12_C"), "https://soar.example/respond/ab-12_C");
  assert.equal(link("../x"), undefined);
  assert.equal(link(""), undefined);
  assert.equal(imports().imports["soar:office365/reply-tracking"].responseLink("abc"), undefined);
});

test("log lines are redacted, progress is written as done/total", () => {
  const { imports: i, lines } = imports();
  i["soar:office365/log"].log("info", "token s3cret-value used");
  i["soar:office365/log"].progress(2, 5, "moved");
  i["soar:office365/log"].progress(7, 0, "read");
  assert.deepEqual(lines, [
    ["info", "token [REDACTED] used"],
    ["progress", "2/5 moved"],
    ["progress", "7 read"],
  ]);
});

test("tokens the guest puts or gets join the redaction set", () => {
  const { imports: i, redactor } = imports({
    rpc: (op) => (op === "token-get" ? { accessToken: "served-token-1", expiresAt: 1 } : null),
  });
  i["soar:office365/token-cache"].put("k", { accessToken: "put-token-1", expiresAt: 10n });
  assert.equal(i["soar:office365/token-cache"].get("k").expiresAt, 1n);
  assert.equal(redactor.text("put-token-1 served-token-1"), "[REDACTED] [REDACTED]");
});

test("past the log limit lines are dropped and counted once", () => {
  const lines = [];
  const sink = new LogSink({ logBytes: 26, lineBytes: 4 }, (l, m) => lines.push(m));
  sink.push("info", "123456"); // cut: 24 bytes kept
  sink.push("info", "ab");
  sink.push("info", "cd");
  sink.push("info", "e");
  sink.finish();
  assert.deepEqual(lines.slice(0, 2), ["1234... (6 bytes in all)", "ab"]);
  assert.equal(lines[2], "2 log lines dropped: over the host's log limit of 26 bytes per invocation");
  assert.equal(lines.length, 3);
});
