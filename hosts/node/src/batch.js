#!/usr/bin/env node
// node src/batch.js --simulate URL INVOCATIONS.json
// Runs invocations one after another through one NodeHost (one token cache, as a platform
// would) and prints {name: result} as JSON. INVOCATIONS.json: [{name, connectionId,
// connection, command, input}]. The conformance suite (conformance/run.py) drives it.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ALL_CLOUD_HOSTS } from "./connection.js";
import { NodeHost } from "./runner.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const simulate = args[args.indexOf("--simulate") + 1];
const file = args.filter((a, i) => a !== "--simulate" && args[i - 1] !== "--simulate")[0];
if (!simulate || args.indexOf("--simulate") < 0 || !file) {
  process.stderr.write("use: node src/batch.js --simulate URL INVOCATIONS.json\n");
  process.exit(2);
}
const host = new NodeHost({
  bindings: process.env.O365_NODE_BINDINGS ?? path.join(HERE, "..", "gen"),
  fileRoot: mkdtempSync(path.join(tmpdir(), "o365-node-batch-")),
  routes: Object.fromEntries(ALL_CLOUD_HOSTS.map((h) => [h, simulate])),
});
const results = {};
for (const inv of JSON.parse(readFileSync(file, "utf8"))) {
  const outcome = await host.run(inv.connectionId, inv.connection, inv.command, inv.input);
  results[inv.name] = outcome.result;
}
process.stdout.write(`${JSON.stringify(results)}\n`);
