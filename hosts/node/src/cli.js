#!/usr/bin/env node
// node src/cli.js run COMMAND --connection FILE|JSON [--input JSON|@FILE] [--id NAME]
//                 [--simulate URL] [--route HOST=URL]... [--timeout-ms MS]
//                 [--bindings DIR] [--files DIR] [--response-link-base URL] [--quiet]
// node src/cli.js describe
// Prints the result document; exit status as o365-host: 0 successful, 3 partially
// successful, 1 failed, 2 usage error. Log lines go to stderr.

import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ALL_CLOUD_HOSTS } from "./connection.js";
import { NodeHost } from "./runner.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));

function usage(message) {
  process.stderr.write(`o365-node-host: ${message}\n`);
  process.exit(2);
}

function jsonArg(text, what) {
  const raw = text.startsWith("@") ? readFileSync(text.slice(1), "utf8") : text;
  try {
    return JSON.parse(raw);
  } catch {
    return usage(`${what} is not valid JSON`);
  }
}

export function parseArgs(argv) {
  const [action, ...rest] = argv;
  const o = { action, routes: {}, input: {}, quiet: false };
  if (action === "run") o.command = rest.shift();
  while (rest.length) {
    const flag = rest.shift();
    const value = () => rest.shift() ?? usage(`${flag} needs a value`);
    switch (flag) {
      case "--connection": {
        const v = value();
        o.connection = v.trim().startsWith("{") ? jsonArg(v, "--connection") : jsonArg(`@${v}`, v);
        o.id ??= v.trim().startsWith("{") ? "inline" : `file:${path.resolve(v)}`;
        break;
      }
      case "--id":
        o.id = value();
        break;
      case "--input":
        o.input = jsonArg(value(), "--input");
        break;
      case "--simulate": {
        const url = value();
        for (const h of ALL_CLOUD_HOSTS) o.routes[h] = url;
        break;
      }
      case "--route": {
        const [host, ...url] = value().split("=");
        o.routes[host.toLowerCase()] = url.join("=");
        break;
      }
      case "--timeout-ms":
        o.timeoutMs = Number(value());
        break;
      case "--bindings":
        o.bindings = value();
        break;
      case "--files":
        o.files = value();
        break;
      case "--response-link-base":
        o.responseLinkBase = value();
        break;
      case "--quiet":
        o.quiet = true;
        break;
      default:
        usage(`unknown argument ${flag}`);
    }
  }
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!["run", "describe"].includes(o.action)) usage("use: run COMMAND ... | describe");
  const host = new NodeHost({
    bindings: o.bindings ?? path.join(HERE, "..", "gen"),
    fileRoot: o.files ?? path.join(os.tmpdir(), "o365-node-host-files"),
    routes: o.routes,
    timeoutMs: o.timeoutMs,
    responseLinkBase: o.responseLinkBase,
    onLog: o.quiet ? undefined : (level, message) => process.stderr.write(`[${level}] ${message}\n`),
  });
  if (o.action === "describe") {
    process.stdout.write(`${JSON.stringify(await host.describe(), null, 2)}\n`);
    return 0;
  }
  if (!o.command) usage("run needs a COMMAND");
  if (!o.connection) usage("--connection FILE|JSON is required");
  const outcome = await host.run(o.id, o.connection, o.command, o.input);
  process.stdout.write(`${JSON.stringify(outcome.result, null, 2)}\n`);
  return { successful: 0, "partially-successful": 3 }[outcome.result.status] ?? 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`o365-node-host: ${e.message}\n`);
      process.exit(1);
    },
  );
}
