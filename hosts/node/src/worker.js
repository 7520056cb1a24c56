// One invocation in its own worker thread: the component is instantiated from the
// pre-compiled core modules, runs one command, and posts its result. The main thread
// (runner.js) owns the shared state and stops the worker when its time is up.

import { parentPort, workerData } from "node:worker_threads";
import { componentImports, LogSink } from "./capabilities.js";
import { Redactor } from "./redact.js";
import { resultDocument } from "./result.js";
import { rpcClient } from "./sync-rpc.js";

const inv = workerData;
const rpc = rpcClient(parentPort, inv.rpcBuffer);
const redactor = new Redactor(inv.secrets);
const logs = new LogSink(inv.logLimits, (level, message) =>
  parentPort.postMessage({ type: "log", level, message }),
);
const denied = [];
const onDenied = (host, reason) => {
  denied.push(host);
  logs.push("warn", redactor.text(`${reason} (${host})`));
};

function call(exports) {
  if (inv.command === "describe") return { manifest: exports.describe() };
  const entry = exports.jsonEntry ?? exports["soar:office365/json-entry@0.1.0"];
  if (!entry) throw new Error("this component has no json-entry export (build a newer one)");
  const result = entry.invoke(inv.command, JSON.stringify(inv.connection), JSON.stringify(inv.input));
  return { result: redactor.json(resultDocument(result)) };
}

try {
  const { instantiate } = await import(inv.bindings);
  const imports = componentImports(inv, rpc, redactor, logs, onDenied);
  const exports = await instantiate((path) => inv.modules[path], imports);
  const answer = call(exports);
  logs.finish();
  parentPort.postMessage({ type: "done", ...answer, denied });
} catch (e) {
  logs.finish();
  const message = redactor.text(String(e?.stack ?? e?.message ?? e));
  parentPort.postMessage({ type: "trap", message, denied });
}

