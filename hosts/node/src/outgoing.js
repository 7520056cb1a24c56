// The guest's only network path: preview2-shim's wasi:http outgoing-handler behind the
// egress check (egress.js). A refused request never reaches the network; it answers the
// guest with `HTTP-request-denied` and is reported to the platform. A request that passes
// is sent to its route (simulator, proxy), with the host it asked for in
// `x-forwarded-host`, as the Rust host does.

import { checkRequest } from "./egress.js";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function schemeName(scheme) {
  if (!scheme) return "";
  if (scheme.tag === "other") return String(scheme.val).toLowerCase();
  return scheme.tag.toLowerCase(); // "HTTP" | "HTTPS"
}

/** The request line and headers of a wasi:http outgoing-request, as egress.js reads them. */
export function requestLine(request) {
  return {
    scheme: schemeName(request.scheme()),
    authority: request.authority() ?? "",
    pathWithQuery: request.pathWithQuery() ?? "/",
    headers: request.headers().entries().map(([k, v]) => [k, decoder.decode(v)]),
  };
}

/**
 * Points the request at `base` (`http://127.0.0.1:8765`, optionally with a path prefix).
 * The request's header set is immutable by then (wasi:http locks it when the request is
 * made), so the forwarded host is appended to the list preview2-shim 0.26 sends from
 * (`Fields.entries()` is that list, not a copy); the test in test/outgoing.test.js shows
 * the header arriving, so a shim that changes this fails there, not silently.
 */
function reroute(request, base, host) {
  const target = new URL(base);
  request.setScheme({ tag: target.protocol === "https:" ? "HTTPS" : "HTTP" });
  request.setAuthority(target.host);
  const prefix = target.pathname.replace(/\/$/, "");
  if (prefix) request.setPathWithQuery(prefix + (request.pathWithQuery() ?? "/"));
  const entries = request.headers().entries();
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i][0].toLowerCase() === "x-forwarded-host") entries.splice(i, 1);
  }
  entries.push(["x-forwarded-host", encoder.encode(host)]);
}

/**
 * An outgoing-handler for one invocation.
 * @param {{handle: Function}} inner preview2-shim's `http.outgoingHandler`
 * @param {object} policy egress.js policy
 * @param {() => string[]} secrets the invocation's secrets and tokens, read at each request
 * @param {(host: string, reason: string) => void} onDenied
 */
export function guardedOutgoingHandler(inner, policy, secrets, onDenied) {
  return {
    handle(request, options) {
      const line = requestLine(request);
      const verdict = checkRequest(policy, line, secrets());
      if (!verdict.ok) {
        onDenied(verdict.host, `denied: ${verdict.reason}`);
        throw { tag: "HTTP-request-denied" };
      }
      if (verdict.routedTo) reroute(request, verdict.routedTo, verdict.host);
      return inner.handle(request, options);
    },
  };
}
