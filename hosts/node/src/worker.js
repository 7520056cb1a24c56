// A worker of the pool (runner.js): it imports the bindings once, then runs invocations
// one at a time, each in a fresh instance of the component (fresh linear memory, its own
// capabilities, redactor and log), and posts each result. The main thread owns the shared
// state and terminates the worker when an invocation's time is up.

import { parentPort, workerData } from "node:worker_threads";
import { componentImports, LogSink } from "./capabilities.js";
import { Redactor } from "./redact.js";
import { resultDocument } from "./result.js";
import { rpcClient } from "./sync-rpc.js";

const { instantiate } = await import(workerData.bindings);
const call = rpcClient(parentPort, workerData.rpcBuffer);

function run(exports, inv, redactor) {
  if (inv.command === "describe") return { manifest: exports.describe() };
  const entry = exports.jsonEntry ?? exports["soar:office365/json-entry@0.1.0"];
  if (!entry) throw new Error("this component has no json-entry export (build a newer one)");
  const result = entry.invoke(inv.command, JSON.stringify(inv.connection), JSON.stringify(inv.input));
  return { result: redactor.json(resultDocument(result)) };
}

async function invocation(id, inv) {
  const redactor = new Redactor(inv.secrets);
  const logs = new LogSink(inv.logLimits, (level, message) =>
    parentPort.postMessage({ type: "log", id, level, message }),
  );
  const denied = [];
  const onDenied = (host, reason) => {
    denied.push(host);
    logs.push("warn", redactor.text(`${reason} (${host})`));
  };
  const rpc = (op, args) => call(op, { ...args, id });
  try {
    const imports = componentImports(inv, rpc, redactor, logs, onDenied);
    const exports = await instantiate((path) => workerData.modules[path], imports);
    const answer = run(exports, inv, redactor);
    logs.finish();
    parentPort.postMessage({ type: "done", id, ...answer, denied });
  } catch (e) {
    logs.finish();
    const message = redactor.text(String(e?.stack ?? e?.message ?? e));
    parentPort.postMessage({ type: "trap", id, message, denied });
  }
}

parentPort.on("message", (m) => {
  if (m.type === "invoke") invocation(m.id, m.inv);
});
parentPort.postMessage({ type: "ready" });
