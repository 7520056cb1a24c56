// Where a guest's request may go: a pure check of one request against the connection's
// egress policy, as the Rust host's host/src/egress.rs does. It returns the route or the
// reason for the refusal; outgoing.js applies it to wasi:http.

/**
 * @typedef {{loginHost: string, tenant: string, graphHost: string, uploadHosts: string[],
 *   deniedHosts?: string[], routes?: Record<string, string>}} EgressPolicy
 * @typedef {{scheme: string, authority: string, pathWithQuery: string,
 *   headers: Array<[string, string]>}} RequestLine
 */

/** The policy of a connection (connection.js `hostView`), with the platform's routes. */
export function policyFor(view, routes = {}, deniedHosts = []) {
  if (!view) {
    return { loginHost: "", tenant: "", graphHost: "", uploadHosts: [], deniedHosts, routes };
  }
  return {
    loginHost: view.loginHost,
    tenant: view.tenant,
    graphHost: view.graphHost,
    uploadHosts: view.uploadHosts,
    deniedHosts,
    routes,
  };
}

function decoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // malformed escapes stay as they are, and fail the checks below
  }
}

/** Host and port of an authority; null when it cannot be read. */
function splitAuthority(authority) {
  const match = /^([^:@\[\]]*)(?::(\d{1,5}))?$/.exec(authority ?? "");
  if (!match) return null;
  return { host: match[1].toLowerCase(), port: match[2] === undefined ? null : Number(match[2]) };
}

/**
 * The one endpoint the guest needs on the login host: `/{tenant}/oauth2/v2.0/token`, read
 * segment by segment after percent-decoding, so no dot segment or encoded slash can lead a
 * server that normalizes paths to another tenant.
 */
function loginPathDenial(policy, path) {
  const segments = path.replace(/^\//, "").split("/").map(decoded);
  const clean = (s) => s !== "" && s !== "." && s !== ".." && !/[/\\]/.test(s);
  if (!segments.every(clean)) {
    return `the login host is allowed only under the connection's own tenant, not '${segments.join("/")}'`;
  }
  const tenant = segments[0];
  if (!policy.tenant || tenant.toLowerCase() !== policy.tenant.toLowerCase()) {
    return `the login host is allowed only under the connection's own tenant, not '${tenant}'`;
  }
  if (segments.slice(1).join("/") !== "oauth2/v2.0/token") {
    return `on the login host only the tenant's token endpoint is allowed, not '${path}'`;
  }
  return null;
}

function hasSecret(text, secrets) {
  return secrets.some((s) => s.length > 0 && text.includes(s));
}

/** Upload URLs are their own credential: nothing else that looks like one may go there. */
function uploadDenial(line, query, secrets) {
  const place = (where) =>
    `a credential in the ${where} of a request to an upload host (its URL is its own credential)`;
  if (line.headers.some(([name]) => name.toLowerCase() === "authorization")) {
    return place("Authorization header");
  }
  if (line.headers.some(([, v]) => hasSecret(v, secrets) || /^bearer ./i.test(v))) {
    return place("headers");
  }
  if (hasSecret(query, secrets) || hasSecret(decoded(query), secrets)) {
    return place("query");
  }
  return null;
}

/**
 * Checks one request. `secrets` are the invocation's known secrets and tokens.
 * @returns {{ok: true, kind: "login"|"graph"|"upload", host: string, routedTo: string|null}
 *   | {ok: false, host: string, reason: string}}
 */
export function checkRequest(policy, line, secrets = []) {
  const authority = splitAuthority(line.authority);
  const host = authority ? authority.host : String(line.authority ?? "");
  const refuse = (reason) => ({ ok: false, host, reason });
  if (line.scheme !== "https") return refuse("only https is allowed");
  if (!authority) return refuse(`'${host}' is not one of the connection's cloud hosts`);
  if (authority.port !== null && authority.port !== 443) {
    return refuse(`only port 443 is allowed, not ${authority.port}`);
  }
  if ((policy.deniedHosts ?? []).some((d) => d.toLowerCase() === host)) {
    return refuse(`'${host}' is blocked by the operator`);
  }
  let kind;
  if (host === policy.loginHost) kind = "login";
  else if (host === policy.graphHost) kind = "graph";
  else if (policy.uploadHosts.includes(host)) kind = "upload";
  else return refuse(`'${host}' is not one of the connection's cloud hosts`);
  const [path, query = ""] = (line.pathWithQuery ?? "").split(/\?(.*)/s);
  const denial =
    kind === "login"
      ? loginPathDenial(policy, path)
      : kind === "upload"
        ? uploadDenial(line, query, secrets)
        : null;
  if (denial) return refuse(denial);
  const route = Object.entries(policy.routes ?? {}).find(([h]) => h.toLowerCase() === host);
  return { ok: true, kind, host, routedTo: route ? route[1] : null };
}
