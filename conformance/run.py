#!/usr/bin/env python3
"""Runs the conformance cases through every host and compares them.

    python3 conformance/run.py [--rust FILE] [--only node,sidecar] [--out DIR]

- rust: the results the end-to-end test `conformance` wrote (tests/tests/e2e/conformance.rs,
  real office365.wasm in the Rust host against graph-sim; target/conformance/rust.json);
- node: hosts/node (jco-transpiled component, worker per invocation) against a fresh
  graph-sim;
- sidecar: hosts/python's client of `o365-host serve --simulate=URL` against a fresh
  graph-sim, connections registered with PUT.

Each host's results must meet every case's expectations, and all hosts' results must be
identical after conformance.normalized(). Exit status 0 when they do, 1 otherwise.
Needs the release build (o365-host, graph-sim, office365.wasm) and hosts/node/gen.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hosts" / "python"))
sys.path.insert(0, str(ROOT / "conformance"))

from conformance import connection_of, differences, failures, load_cases, normalized  # noqa: E402
from o365_sidecar import start_serve  # noqa: E402

RELEASE = ROOT / "target" / "release"
COMPONENT = ROOT / "target" / "wasm32-wasip2" / "release" / "office365.wasm"


class GraphSim:
    """graph-sim on a free loopback port; its URL and demo connections."""

    def __enter__(self):
        self.process = subprocess.Popen(
            [str(RELEASE / "graph-sim"), "--addr", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )
        lines = [self.process.stdout.readline() for _ in range(3)]
        self.url = lines[0].split()[-1]
        self.demos = {}
        for line in lines[1:]:
            name, _, connection = line.partition(": ")
            self.demos[name] = json.loads(connection)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


def invocations(cases, demos):
    out = []
    for name, case in cases:
        connection_id, connection = connection_of(case, demos)
        out.append({"name": name, "connectionId": connection_id, "connection": connection,
                    "command": case["command"], "input": case["input"]})
    return out


def run_node(cases):
    with GraphSim() as sim, tempfile.NamedTemporaryFile("w", suffix=".json") as batch:
        json.dump(invocations(cases, sim.demos), batch)
        batch.flush()
        reply = subprocess.run(
            ["node", str(ROOT / "hosts" / "node" / "src" / "batch.js"), "--simulate", sim.url, batch.name],
            capture_output=True, text=True, timeout=600,
        )
        if reply.returncode != 0:
            raise RuntimeError(f"the Node host failed ({reply.returncode}): {reply.stderr[-2000:]}")
        return json.loads(reply.stdout)


# Every cloud host, routed to the simulator with --route (`serve --simulate=URL` also looks
# for the demo connection files `o365-host sim` writes, which this run does not need).
CLOUD_HOSTS = [
    "login.microsoftonline.com", "graph.microsoft.com", "outlook.office.com",
    "outlook.office365.com", "login.microsoftonline.us", "graph.microsoft.us",
    "dod-graph.microsoft.us", "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn",
    "partner.outlook.cn",
]


def run_sidecar(cases):
    with GraphSim() as sim:
        routes = [arg for host in CLOUD_HOSTS for arg in ("--route", f"{host}={sim.url}")]
        with start_serve(
            str(RELEASE / "o365-host"), *routes, "--quiet", "--component", str(COMPONENT)
        ) as client:
            return run_through(client, invocations(cases, sim.demos))


def run_through(client, invs):
    results = {}
    registered = set()
    for inv in invs:
        if inv["connectionId"] not in registered:
            client.put_connection(inv["connectionId"], inv["connection"])
            registered.add(inv["connectionId"])
        results[inv["name"]] = client.run(inv["connectionId"], inv["command"], inv["input"])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rust", default=str(ROOT / "target" / "conformance" / "rust.json"))
    parser.add_argument("--only", default="rust,node,sidecar")
    parser.add_argument("--out", default=str(ROOT / "target" / "conformance"))
    args = parser.parse_args()
    cases = load_cases()
    wanted = args.only.split(",")
    hosts = {}
    if "rust" in wanted:
        rust = pathlib.Path(args.rust)
        if not rust.exists():
            print(f"conformance: {rust} is missing: run `cargo test --release -p o365-tests --test e2e conformance` first")
            return 1
        hosts["rust"] = json.loads(rust.read_text())
    runners = {"node": run_node, "sidecar": run_sidecar}
    for name in [h for h in wanted if h in runners]:
        started = time.monotonic()
        hosts[name] = runners[name](cases)
        print(f"conformance: {name}: {len(hosts[name])} cases in {time.monotonic() - started:.1f} s")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    problems = []
    for host, results in hosts.items():
        (out / f"{host}.json").write_text(json.dumps(results, indent=1, sort_keys=True))
        for name, case in cases:
            if name not in results:
                problems.append(f"{host}: {name}: no result")
                continue
            problems += [f"{host}: {name}: {f}" for f in failures(case["expect"], results[name])]
    names = list(hosts)
    for other in names[1:]:
        for name, _ in cases:
            if name in hosts[names[0]] and name in hosts[other]:
                diff = differences(normalized(hosts[names[0]][name]), normalized(hosts[other][name]))
                problems += [f"{names[0]} vs {other}: {name}: {d}" for d in diff]
    for p in problems:
        print(f"conformance: FAIL {p}")
    print(f"conformance: {len(cases)} cases x {len(hosts)} hosts ({', '.join(names)}): "
          f"{'identical and as expected' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
