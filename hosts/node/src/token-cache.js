// The token cache the platform keeps for every invocation, on the main thread (workers reach
// it through sync-rpc.js). Keys are scoped by the connection id, whatever key the guest
// asks for. One refresh at a time per key: a `get` that finds no fresh token makes that
// invocation the key's refresher (it holds the lease); others asking for the key wait for
// its `put`, its end, or the lease time, then look again. Rotated refresh tokens are kept
// per key and handed to the platform (`onRefreshToken`) to store over the connection's
// Refresh Token field.

import { createHash } from "node:crypto";

/** A token with less than this left is not served as fresh (the guest's own margin). */
export const FRESH_MARGIN_SECS = 300;

export const DEFAULT_TOKEN_LIMITS = {
  leaseMs: 30_000,
  /** Keys one connection may hold (access and refresh together). */
  entriesPerConnection: 32,
  tokenBytes: 64 * 1024,
  keyBytes: 512,
};

/** The prefix that keeps one connection's keys apart from another's. */
export function namespaceOf(connectionId) {
  return createHash("sha256").update(connectionId).digest("hex").slice(0, 32);
}

export class TokenCache {
  #access = new Map(); // full key -> {accessToken, expiresAt}
  #refresh = new Map(); // full key -> refresh token
  #leases = new Map(); // full key -> {holder, until}
  #wakers = new Set();

  constructor(limits = {}, onRefreshToken = () => {}) {
    this.limits = { ...DEFAULT_TOKEN_LIMITS, ...limits };
    this.onRefreshToken = onRefreshToken;
  }

  #wake() {
    const wakers = [...this.#wakers];
    this.#wakers.clear();
    for (const wake of wakers) wake();
  }

  /** Resolves when a token is put or a lease ends, or after `ms`. */
  #changed(ms) {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#wakers.delete(wake);
        resolve();
      }, Math.max(1, ms));
      this.#wakers.add(wake);
    });
  }

  /** Why a put is not kept, or null. */
  refusal(ns, key, token) {
    if (Buffer.byteLength(key) > this.limits.keyBytes) {
      return `a key of ${Buffer.byteLength(key)} bytes (at most ${this.limits.keyBytes})`;
    }
    if (Buffer.byteLength(token) > this.limits.tokenBytes) {
      return `a token of ${Buffer.byteLength(token)} bytes (at most ${this.limits.tokenBytes})`;
    }
    const full = `${ns}|${key}`;
    const held = new Set(
      [...this.#access.keys(), ...this.#refresh.keys()].filter((k) => k.startsWith(`${ns}|`)),
    );
    if (!held.has(full) && held.size >= this.limits.entriesPerConnection) {
      return `a new key past the connection's ${this.limits.entriesPerConnection} entries`;
    }
    return null;
  }

  /** The fresh token, or (as the key's refresher) the entry as it is, or null. */
  async get(ns, key, holder, nowSecs = () => Math.floor(Date.now() / 1000)) {
    if (Buffer.byteLength(key) > this.limits.keyBytes) return null;
    const full = `${ns}|${key}`;
    for (;;) {
      const entry = this.#access.get(full) ?? null;
      if (entry && entry.expiresAt > nowSecs() + FRESH_MARGIN_SECS) return entry;
      const lease = this.#leases.get(full);
      const now = Date.now();
      if (!lease || lease.holder === holder || lease.until <= now) {
        this.#leases.set(full, { holder, until: now + this.limits.leaseMs });
        return entry;
      }
      await this.#changed(lease.until - now);
    }
  }

  put(ns, key, holder, token) {
    const full = `${ns}|${key}`;
    this.#access.set(full, { accessToken: token.accessToken, expiresAt: token.expiresAt });
    if (this.#leases.get(full)?.holder === holder) this.#leases.delete(full);
    this.#wake();
  }

  /** Forgets the token; with `only`, only if it is still that one (not a newer one). */
  remove(ns, key, only = null) {
    const full = `${ns}|${key}`;
    const entry = this.#access.get(full);
    if (entry && (only === null || entry.accessToken === only)) this.#access.delete(full);
  }

  getRefreshToken(ns, key) {
    return this.#refresh.get(`${ns}|${key}`) ?? null;
  }

  putRefreshToken(ns, key, refreshToken, connectionId) {
    this.#refresh.set(`${ns}|${key}`, refreshToken);
    this.onRefreshToken(connectionId, refreshToken);
  }

  /** Ends every lease of a holder whose invocation ended (its refresh failed, or it died). */
  releaseAll(holder) {
    let released = false;
    for (const [key, lease] of this.#leases) {
      if (lease.holder === holder) {
        this.#leases.delete(key);
        released = true;
      }
    }
    if (released) this.#wake();
  }
}
