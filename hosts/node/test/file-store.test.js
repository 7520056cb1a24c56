import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { FileStore } from "../src/file-store.js";

const root = () => mkdtempSync(path.join(tmpdir(), "o365-files-"));

test("round trip, and one connection cannot read another's file", () => {
  const dir = root();
  const a = new FileStore(dir, "tenant-a");
  const b = new FileStore(dir, "tenant-b");
  const info = a.put("x.eml", "message/rfc822", new TextEncoder().encode("hello"));
  assert.match(info.fileId, /^[0-9a-f]{32}$/);
  assert.equal(info.size, 5n);
  const [got, data] = a.get(info.fileId);
  assert.equal(got.name, "x.eml");
  assert.equal(new TextDecoder().decode(data), "hello");
  assert.throws(() => b.get(info.fileId), (e) => /no file with id/.test(e));
});

test("ids cannot name a path", () => {
  const a = new FileStore(root(), "t");
  assert.throws(() => a.get("../../etc/passwd"), (e) => /not a file id/.test(e));
  assert.throws(() => a.get("0123456789abcdef0123456789ABCDEF"), (e) => /not a file id/.test(e));
});

test("a put past the quota fails and stores nothing", () => {
  const a = new FileStore(root(), "a", 10);
  a.put("one", "text/plain", new Uint8Array(6));
  assert.throws(() => a.put("two", "text/plain", new Uint8Array(6)), (e) => /quota of 10 bytes/.test(e));
});
