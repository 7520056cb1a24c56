// The token cache's promises: one refresh at a time per key, keys scoped by connection,
// a remove that never forgets a newer token, limits on what a guest may keep.
import assert from "node:assert/strict";
import { test } from "node:test";
import { namespaceOf, TokenCache } from "../src/token-cache.js";

const later = () => Math.floor(Date.now() / 1000) + 3600;

test("a miss makes the first asker the refresher; the others wait for its put", async () => {
  const cache = new TokenCache();
  const ns = namespaceOf("conn-1");
  assert.equal(await cache.get(ns, "k", 1), null, "holder 1 refreshes");
  let second = null;
  const waiting = cache.get(ns, "k", 2).then((t) => (second = t));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(second, null, "holder 2 waits while 1 holds the lease");
  cache.put(ns, "k", 1, { accessToken: "at-1", expiresAt: later() });
  await waiting;
  assert.equal(second.accessToken, "at-1");
});

test("a holder that ends without a put lets the next one refresh at once", async () => {
  const cache = new TokenCache();
  const ns = namespaceOf("conn-1");
  await cache.get(ns, "k", 1);
  const waiting = cache.get(ns, "k", 2);
  cache.releaseAll(1);
  assert.equal(await waiting, null, "holder 2 now holds the lease");
});

test("a lease that runs out passes on", async () => {
  const cache = new TokenCache({ leaseMs: 50 });
  const ns = namespaceOf("c");
  await cache.get(ns, "k", 1);
  const started = Date.now();
  assert.equal(await cache.get(ns, "k", 2), null);
  assert.ok(Date.now() - started >= 40);
});

test("connections never see each other's keys", async () => {
  const cache = new TokenCache();
  cache.put(namespaceOf("a"), "k", 1, { accessToken: "at-a", expiresAt: later() });
  assert.equal(await cache.get(namespaceOf("b"), "k", 2), null);
  assert.equal((await cache.get(namespaceOf("a"), "k", 3)).accessToken, "at-a");
});

test("a token within 5 minutes of expiry is not served as fresh", async () => {
  const cache = new TokenCache();
  const ns = namespaceOf("a");
  cache.put(ns, "k", 1, { accessToken: "old", expiresAt: Math.floor(Date.now() / 1000) + 200 });
  const entry = await cache.get(ns, "k", 2);
  assert.equal(entry.accessToken, "old", "returned to the refresher as it is");
  const other = cache.get(ns, "k", 3);
  cache.put(ns, "k", 2, { accessToken: "new", expiresAt: later() });
  assert.equal((await other).accessToken, "new");
});

test("remove forgets only the token the invocation was given", async () => {
  const cache = new TokenCache();
  const ns = namespaceOf("a");
  cache.put(ns, "k", 1, { accessToken: "newer", expiresAt: later() });
  cache.remove(ns, "k", "older");
  assert.equal((await cache.get(ns, "k", 2)).accessToken, "newer");
  cache.remove(ns, "k", "newer");
  assert.equal(await cache.get(ns, "k", 2), null);
});

test("rotated refresh tokens are kept and handed to the platform", () => {
  const stored = [];
  const cache = new TokenCache({}, (id, token) => stored.push([id, token]));
  const ns = namespaceOf("conn-1");
  cache.putRefreshToken(ns, "k", "rt-2", "conn-1");
  assert.equal(cache.getRefreshToken(ns, "k"), "rt-2");
  assert.equal(cache.getRefreshToken(namespaceOf("conn-2"), "k"), null);
  assert.deepEqual(stored, [["conn-1", "rt-2"]]);
});

test("puts past the limits are refused with the reason", () => {
  const cache = new TokenCache({ entriesPerConnection: 2, tokenBytes: 8, keyBytes: 4 });
  const ns = namespaceOf("a");
  assert.match(cache.refusal(ns, "12345", "t"), /a key of 5 bytes/);
  assert.match(cache.refusal(ns, "k", "123456789"), /a token of 9 bytes/);
  cache.put(ns, "k1", 1, { accessToken: "t", expiresAt: later() });
  cache.putRefreshToken(ns, "k2", "r", "a");
  assert.match(cache.refusal(ns, "k3", "t"), /past the connection's 2 entries/);
  assert.equal(cache.refusal(ns, "k1", "t"), null, "replacing a held key is fine");
  assert.equal(cache.refusal(namespaceOf("b"), "k3", "t"), null, "another connection's share");
});
