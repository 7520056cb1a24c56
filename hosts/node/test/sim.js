// graph-sim for the tests: the binary the workspace builds (target/release/graph-sim, or
// $GRAPH_SIM), on a free loopback port, with its demo connections.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const BINDINGS = process.env.O365_NODE_BINDINGS ?? path.join(ROOT, "hosts", "node", "gen");

export async function startSim() {
  const binary = process.env.GRAPH_SIM ?? path.join(ROOT, "target", "release", "graph-sim");
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: cargo build --release -p graph-sim (scripts/test does)`);
  }
  if (!existsSync(path.join(BINDINGS, "office365.js"))) {
    throw new Error(`${BINDINGS}/office365.js is missing: npm run transpile (scripts/test does)`);
  }
  const child = spawn(binary, ["--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  const lines = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`graph-sim exited with ${code}`)));
    child.stdout.on("data", (d) => {
      text += d;
      if (/^demo-app: .*\n/m.test(text)) resolve(text.split("\n"));
    });
  });
  const url = lines[0].split(" ").pop();
  const demo = (name) => JSON.parse(lines.find((l) => l.startsWith(`${name}: `)).slice(name.length + 2));
  return { url, demo, stop: () => child.kill() };
}
