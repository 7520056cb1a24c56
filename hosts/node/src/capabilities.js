// The imports of the component inside a worker: the platform's four capabilities
// (token-cache, file-store, log, reply-tracking), wasi:http behind the egress check, and
// the WASI interfaces Rust's std pulls in (wasi:cli/*@0.2.6, wasi:random/insecure-seed),
// which wit/office365.wit does not show but the built component imports
// (docs/embedding.md lists them all). The sandbox: no environment variables, no
// arguments, no exit of the process, stdout kept off the platform's stdout.

import { cli, clocks, http, io, random } from "@bytecodealliance/preview2-shim";
import { FileStore } from "./file-store.js";
import { guardedOutgoingHandler } from "./outgoing.js";

/** How much log one invocation may write, as the Rust host's defaults. */
export const DEFAULT_LOG_LIMITS = { logBytes: 1024 * 1024, lineBytes: 16 * 1024 };

const LEVELS = ["debug", "info", "warn", "error"];

/** Log lines within the invocation's limits; one last line says how many were dropped. */
export class LogSink {
  constructor(limits, emit) {
    this.limits = { ...DEFAULT_LOG_LIMITS, ...limits };
    this.emit = emit;
    this.used = 0;
    this.dropped = 0;
  }

  push(level, message) {
    let text = message;
    if (Buffer.byteLength(text) > this.limits.lineBytes) {
      const total = Buffer.byteLength(text);
      text = `${Buffer.from(text).subarray(0, this.limits.lineBytes).toString("utf8").replace(/\uFFFD$/, "")}... (${total} bytes in all)`;
    }
    if (this.used + Buffer.byteLength(text) > this.limits.logBytes) {
      this.dropped += 1;
      this.used = this.limits.logBytes;
      return;
    }
    this.used += Buffer.byteLength(text);
    this.emit(level, text);
  }

  finish() {
    if (this.dropped > 0) {
      this.emit(
        "warn",
        `${this.dropped} log lines dropped: over the host's log limit of ${this.limits.logBytes} bytes per invocation`,
      );
      this.dropped = 0;
    }
  }
}

/**
 * @param {object} inv the invocation (runner.js): connectionId, namespace, holder, policy,
 *   fileRoot, fileQuotaBytes, responseLinkBase, logLimits
 * @param {(op: string, args: object) => any} rpc synchronous call to the main thread
 * @param {import("./redact.js").Redactor} redactor
 * @param {LogSink} logs
 * @param {(host: string, reason: string) => void} onDenied
 */
export function componentImports(inv, rpc, redactor, logs, onDenied) {
  const files = new FileStore(inv.fileRoot, inv.connectionId, inv.fileQuotaBytes);
  // The token this invocation last got or put per key: a `remove` after Graph refused it
  // forgets that one only, never a newer one another invocation put meanwhile.
  const served = new Map();
  const seen = (token) => {
    redactor.add(token);
    return token;
  };
  const tokenCache = {
    get(key) {
      const token = rpc("token-get", { key });
      if (!token) return undefined;
      served.set(key, seen(token.accessToken));
      return { accessToken: token.accessToken, expiresAt: BigInt(token.expiresAt) };
    },
    put(key, token) {
      served.set(key, seen(token.accessToken));
      const why = rpc("token-put", {
        key,
        token: { accessToken: token.accessToken, expiresAt: Number(token.expiresAt) },
      });
      if (why) logs.push("warn", `token cache: not kept: ${why}`);
    },
    remove(key) {
      rpc("token-remove", { key, only: served.get(key) ?? null });
      served.delete(key);
    },
    getRefreshToken(key) {
      const token = rpc("refresh-get", { key });
      return token ? seen(token) : undefined;
    },
    putRefreshToken(key, refreshToken) {
      seen(refreshToken);
      const why = rpc("refresh-put", { key, refreshToken });
      if (why) logs.push("warn", `token cache: not kept: ${why}`);
    },
  };
  const fileStore = {
    put: (name, contentType, data) => files.put(name, contentType, data),
    get: (fileId) => files.get(fileId),
  };
  const log = {
    log(level, message) {
      logs.push(typeof level === "string" ? level : LEVELS[level], redactor.text(message));
    },
    progress(done, total, message) {
      const text = redactor.text(message);
      logs.push("progress", total > 0 ? `${done}/${total} ${text}` : `${done} ${text}`);
    },
  };
  const replyTracking = {
    responseLink(trackingId) {
      // The id is the guest's; only URL-safe ids become links.
      if (!inv.responseLinkBase || !/^[A-Za-z0-9_-]+$/.test(trackingId)) return undefined;
      return `${inv.responseLinkBase}${trackingId}`;
    },
  };
  return {
    "soar:office365/token-cache": tokenCache,
    "soar:office365/file-store": fileStore,
    "soar:office365/log": log,
    "soar:office365/reply-tracking": replyTracking,
    "soar:office365/manifest": {},
    "soar:office365/types": {},
    "wasi:http/outgoing-handler": guardedOutgoingHandler(
      http.outgoingHandler,
      inv.policy,
      () => redactor.list(),
      onDenied,
    ),
    "wasi:http/types": http.types,
    "wasi:io/error": io.error,
    "wasi:io/poll": io.poll,
    "wasi:io/streams": io.streams,
    "wasi:clocks/monotonic-clock": clocks.monotonicClock,
    "wasi:clocks/wall-clock": clocks.wallClock,
    "wasi:random/random": random.random,
    "wasi:random/insecure-seed": random.insecureSeed,
    "wasi:cli/environment": {
      getEnvironment: () => [],
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    "wasi:cli/exit": {
      exit() {
        throw new Error("the component called wasi:cli/exit");
      },
    },
    // The platform's stdin is not the guest's: asking for it traps.
    "wasi:cli/stdin": {
      getStdin() {
        throw new Error("the component asked for stdin, which this host does not give");
      },
    },
    // Guest stdout (Rust std only, on a panic) must not mix with the platform's output.
    "wasi:cli/stdout": { getStdout: () => cli.stderr.getStderr() },
    "wasi:cli/stderr": cli.stderr,
    "wasi:cli/terminal-input": cli.terminalInput,
    "wasi:cli/terminal-output": cli.terminalOutput,
    "wasi:cli/terminal-stdin": cli.terminalStdin,
    "wasi:cli/terminal-stdout": cli.terminalStdout,
    "wasi:cli/terminal-stderr": cli.terminalStderr,
  };
}
