// The Node host: runs each invocation of the component in a worker thread of a pool, one
// invocation per worker at a time, each in a fresh instance with a time limit (a worker
// past it is terminated and replaced). The main thread keeps what outlives an invocation:
// the token cache (with its leases and rotated refresh tokens), the compiled core modules
// and the manifest. Each invocation gets its connection's egress policy, its own
// file-store directory and a redactor holding only its connection's secrets.

import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
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
 * @property {number} [workers] invocations at once (default: the machine's parallelism)
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
  #nextId = 1;
  /** Workers without an invocation, and invocations waiting for a worker. */
  #idle = [];
  #waiting = [];
  #workers = 0;
  /** Invocation id -> its state on the main thread (see #start). */
  #running = new Map();

  /** @param {HostOptions} options */
  constructor(options) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = {
      timeoutMs: 600_000,
      workers: availableParallelism(),
      routes: {},
      deniedHosts: [],
      ...given,
    };
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

  /** Workers alive now (idle or busy), for a platform's health report. */
  get workerCount() {
    return this.#workers;
  }

  /** Stops every worker (idle ones do not keep the process alive; this ends them now). */
  async close() {
    const idle = this.#idle.splice(0);
    this.#workers -= idle.length;
    await Promise.all(idle.map((w) => w.worker.terminate()));
  }

  /** One invocation on a worker of the pool; resolves with its answer, a trap or a timeout. */
  async #invoke({ connectionId, connection, command, input = {} }) {
    const slot = await this.#acquire();
    return this.#start(slot, { connectionId, connection, command, input });
  }

  /** An idle worker, a new one below the pool's size, or the next one freed. */
  async #acquire() {
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#workers < this.options.workers) {
      this.#workers += 1;
      try {
        return await this.#spawn();
      } catch (e) {
        this.#workers -= 1;
        throw e;
      }
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a worker to the next waiting invocation, or keeps it idle. */
  #release(slot) {
    const next = this.#waiting.shift();
    if (next) return next(slot);
    slot.worker.unref();
    this.#idle.push(slot);
  }

  /** A worker that died or was stopped: its place goes to a new one if someone waits. */
  #retire(slot) {
    slot.retired = true;
    slot.worker.terminate();
    this.#workers -= 1;
    const next = this.#waiting.shift();
    if (next) this.#acquire().then(next);
  }

  #spawn() {
    const buffer = rpcBuffer();
    const worker = new Worker(WORKER, {
      workerData: {
        bindings: pathToFileURL(path.join(this.options.bindings, "office365.js")).href,
        modules: this.#modules,
        rpcBuffer: buffer,
      },
      // The guest gets no environment of the platform's, even through the shim.
      env: {},
    });
    const slot = { worker, buffer, current: null, started: false, retired: false };
    worker.on("message", (m) => this.#onMessage(slot, m));
    worker.on("error", (e) => this.#onGone(slot, `the worker failed: ${e?.message ?? e}`));
    worker.on("exit", (code) => this.#onGone(slot, `the worker exited (code ${code})`));
    return new Promise((resolve, reject) => {
      slot.ready = resolve.bind(null, slot);
      slot.failed = reject;
    });
  }

  #onMessage(slot, m) {
    if (m.type === "ready") {
      slot.started = true;
      return slot.ready();
    }
    const id = m.type === "rpc" ? m.args?.id : m.id;
    const run = this.#running.get(id);
    if (!run) {
      // A call of an invocation already ended (timed out): the worker is being stopped.
      if (m.type === "rpc") answerRpc(slot.buffer, () => null, m.op, m.args);
      return;
    }
    if (m.type === "rpc") {
      answerRpc(slot.buffer, run.rpc, m.op, m.args);
    } else if (m.type === "log") {
      run.logs.push({ level: m.level, message: m.message });
      this.options.onLog?.(m.level, m.message);
    } else {
      run.finish(m);
    }
  }

  #onGone(slot, message) {
    if (slot.retired) return;
    if (slot.current === null) {
      slot.retired = true;
      if (!slot.started) return slot.failed(new Error(message)); // #acquire counts it out
      // Died while idle: forget it.
      const i = this.#idle.indexOf(slot);
      if (i >= 0) this.#idle.splice(i, 1);
      this.#workers -= 1;
      return;
    }
    this.#running.get(slot.current)?.finish({ type: "trap", message });
  }

  /** Runs one invocation on `slot`; the promise settles once, whatever ends it. */
  #start(slot, { connectionId, connection, command, input }) {
    const o = this.options;
    const view = hostView(connection);
    const id = this.#nextId++;
    const namespace = namespaceOf(connectionId);
    const tokens = this.tokens;
    const run = { logs: [], rotatedRefreshToken: null };
    run.rpc = (op, args) => {
      switch (op) {
        case "token-get":
          return tokens.get(namespace, args.key, id);
        case "token-put":
          return (
            tokens.refusal(namespace, args.key, args.token.accessToken) ??
            void tokens.put(namespace, args.key, id, args.token)
          );
        case "token-remove":
          return tokens.remove(namespace, args.key, args.only);
        case "refresh-get":
          return tokens.getRefreshToken(namespace, args.key);
        case "refresh-put": {
          const why = tokens.refusal(namespace, args.key, args.refreshToken);
          if (why) return why;
          run.rotatedRefreshToken = args.refreshToken;
          return void tokens.putRefreshToken(namespace, args.key, args.refreshToken, connectionId);
        }
        default:
          throw new Error(`unknown call ${op}`);
      }
    };
    return new Promise((resolve) => {
      const timer = setTimeout(() => run.finish({ type: "timeout" }), o.timeoutMs);
      run.finish = (answer) => {
        if (!this.#running.delete(id)) return;
        clearTimeout(timer);
        slot.current = null;
        tokens.releaseAll(id);
        // A worker that ran out of time, trapped or died is not trusted with another run.
        if (answer.type === "done") this.#release(slot);
        else this.#retire(slot);
        resolve({ ...answer, logs: run.logs, rotatedRefreshToken: run.rotatedRefreshToken });
      };
      this.#running.set(id, run);
      slot.current = id;
      slot.worker.ref();
      slot.worker.postMessage({
        type: "invoke",
        id,
        inv: {
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
      });
    });
  }
}
