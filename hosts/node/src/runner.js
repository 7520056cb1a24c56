// The Node host: runs each invocation of the component in its own worker thread with a
// time limit, and keeps what outlives an invocation on the main thread: the token cache
// (with its leases and rotated refresh tokens), the compiled core modules and the
// manifest. Each invocation gets its connection's egress policy, its own file-store
// directory and a redactor holding only its connection's secrets.

import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { hostView } from "./connection.js";
import { policyFor } from "./egress.js";
import { hostFailure } from "./result.js";
import { answerRpc, rpcBuffer } from "./sync-rpc.js";
import { namespaceOf, TokenCache } from "./token-cache.js";

const WORKER = new URL("./worker.js", import.meta.url);

/**
 * @typedef {object} HostOptions
 * @property {string} bindings directory of the jco-transpiled component (office365.js)
 * @property {string} fileRoot where the file store keeps each connection's directory
 * @property {Record<string, string>} [routes] cloud host -> base URL (simulator, proxy)
 * @property {string[]} [deniedHosts] cloud hosts the operator blocks outright
 * @property {number} [timeoutMs] wall-clock limit of one invocation (default 600 s)
 * @property {string} [responseLinkBase] the page that collects answers to tracked mail
 * @property {number} [fileQuotaBytes] per connection (default 1 GiB)
 * @property {object} [tokenLimits] token-cache.js DEFAULT_TOKEN_LIMITS
 * @property {object} [logLimits] capabilities.js DEFAULT_LOG_LIMITS
 * @property {(connectionId: string, refreshToken: string) => void} [onRefreshToken]
 *   store a rotated refresh token over the connection's Refresh Token field
 * @property {(level: string, message: string) => void} [onLog]
 */

export class NodeHost {
  #modules;
  #labels = new Map();
  #nextHolder = 1;

  /** @param {HostOptions} options */
  constructor(options) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { timeoutMs: 600_000, routes: {}, deniedHosts: [], ...given };
    this.tokens = new TokenCache(options.tokenLimits, (id, token) =>
      this.options.onRefreshToken?.(id, token),
    );
    const dir = this.options.bindings;
    // Compiled once; every worker instantiates from the same modules.
    this.#modules = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.endsWith(".wasm"))
        .map((f) => [f, new WebAssembly.Module(readFileSync(path.join(dir, f)))]),
    );
  }

  /** The manifest (`describe`), from a worker like any invocation. */
  async describe() {
    const answer = await this.#invoke({ connectionId: "", connection: {}, command: "describe" });
    if (answer.type !== "done") throw new Error(`describe failed: ${answer.message ?? answer.type}`);
    for (const c of answer.manifest.commands) this.#labels.set(c.name, c.label);
    return answer.manifest;
  }

  /**
   * Runs one command for the connection the platform names `connectionId`.
   * @returns {Promise<{result: object, logs: Array<{level, message}>, deniedHosts: string[],
   *   rotatedRefreshToken: string|null, elapsedMs: number}>}
   */
  async run(connectionId, connection, command, input = {}) {
    if (this.#labels.size === 0) await this.describe();
    const label = this.#labels.get(command) ?? command;
    const started = Date.now();
    const answer = await this.#invoke({ connectionId, connection, command, input });
    const elapsedMs = Date.now() - started;
    let result;
    if (answer.type === "done") {
      result = answer.result;
    } else if (answer.type === "timeout") {
      const limit = this.options.timeoutMs / 1000;
      result = hostFailure(
        `${label} failed.`,
        504,
        `The command did not finish within ${limit} s (wall-clock limit); it was stopped after ${(elapsedMs / 1000).toFixed(1)} s.`,
      );
    } else {
      result = hostFailure(`${label} failed.`, 500, `The component stopped: ${answer.message}`);
    }
    return {
      result,
      logs: answer.logs,
      deniedHosts: answer.denied ?? [],
      rotatedRefreshToken: answer.rotatedRefreshToken,
      elapsedMs,
    };
  }

  /** One worker, one invocation; resolves with its answer, a trap or a timeout. */
  #invoke({ connectionId, connection, command, input = {} }) {
    const o = this.options;
    const view = hostView(connection);
    const holder = this.#nextHolder++;
    const namespace = namespaceOf(connectionId);
    const buffer = rpcBuffer();
    const logs = [];
    let rotatedRefreshToken = null;
    const worker = new Worker(WORKER, {
      workerData: {
        bindings: pathToFileURL(path.join(o.bindings, "office365.js")).href,
        modules: this.#modules,
        rpcBuffer: buffer,
        connectionId,
        connection,
        command,
        input,
        secrets: view?.secrets ?? [],
        policy: policyFor(view, o.routes, o.deniedHosts),
        fileRoot: o.fileRoot,
        fileQuotaBytes: o.fileQuotaBytes ?? 1024 ** 3,
        responseLinkBase: o.responseLinkBase ?? null,
        logLimits: o.logLimits ?? {},
      },
      // The guest gets no environment of the platform's, even through the shim.
      env: {},
      stdout: false,
      stderr: false,
    });
    const tokens = this.tokens;
    const rpc = (op, args) => {
      switch (op) {
        case "token-get":
          return tokens.get(namespace, args.key, holder);
        case "token-put":
          return (
            tokens.refusal(namespace, args.key, args.token.accessToken) ??
            void tokens.put(namespace, args.key, holder, args.token)
          );
        case "token-remove":
          return tokens.remove(namespace, args.key, args.only);
        case "refresh-get":
          return tokens.getRefreshToken(namespace, args.key);
        case "refresh-put": {
          const why = tokens.refusal(namespace, args.key, args.refreshToken);
          if (why) return why;
          rotatedRefreshToken = args.refreshToken;
          return void tokens.putRefreshToken(namespace, args.key, args.refreshToken, connectionId);
        }
        default:
          throw new Error(`unknown call ${op}`);
      }
    };
    return new Promise((resolve) => {
      let settled = false;
      const finish = (answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        tokens.releaseAll(holder);
        worker.terminate();
        resolve({ ...answer, logs, rotatedRefreshToken });
      };
      const timer = setTimeout(() => finish({ type: "timeout" }), o.timeoutMs);
      worker.on("message", (m) => {
        if (m.type === "rpc") answerRpc(buffer, rpc, m.op, m.args);
        else if (m.type === "log") {
          logs.push({ level: m.level, message: m.message });
          o.onLog?.(m.level, m.message);
        } else finish(m);
      });
      worker.on("error", (e) => finish({ type: "trap", message: String(e?.message ?? e) }));
      worker.on("exit", (code) =>
        finish({ type: "trap", message: `the worker exited (code ${code}) without a result` }),
      );
    });
  }
}
