// The allowlist as a pure check: the same rules and refusals as host/src/egress.rs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hostView } from "../src/connection.js";
import { checkRequest, policyFor } from "../src/egress.js";

const policy = policyFor(
  hostView({ environment: "commercial-gcc", "tenant-id": "contoso.example", "client-secret": "s3cret-value" }),
  { "graph.microsoft.com": "http://127.0.0.1:1" },
);

function check(url, headers = [], secrets = ["the-access-token"], p = policy) {
  const u = new URL(url);
  return checkRequest(
    p,
    {
      scheme: u.protocol.replace(":", ""),
      authority: u.port ? `${u.hostname}:${u.port}` : url.match(/^\w+:\/\/([^/]+)/)[1],
      pathWithQuery: url.replace(/^\w+:\/\/[^/]+/, "") || "/",
      headers,
    },
    secrets,
  );
}

test("the connection's hosts pass and are routed", () => {
  assert.deepEqual(check("https://graph.microsoft.com/v1.0/me"), {
    ok: true,
    kind: "graph",
    host: "graph.microsoft.com",
    routedTo: "http://127.0.0.1:1",
  });
  const login = check("https://Login.MicrosoftOnline.com:443/Contoso.Example/oauth2/v2.0/token");
  assert.equal(login.ok, true);
  assert.equal(login.kind, "login");
  assert.equal(login.routedTo, null, "no route given for the login host");
});

test("everything else is refused with its reason", () => {
  assert.equal(check("http://graph.microsoft.com/v1.0/me").reason, "only https is allowed");
  assert.equal(
    check("https://graph.microsoft.com:8443/v1.0/me").reason,
    "only port 443 is allowed, not 8443",
  );
  for (const host of [
    "localhost",
    "127.0.0.1",
    "169.254.169.254",
    "graph.microsoft.us",
    "graph.microsoft.com.evil.example",
  ]) {
    const r = check(`https://${host}/x`);
    assert.equal(r.ok, false, host);
    assert.equal(r.reason, `'${host}' is not one of the connection's cloud hosts`);
  }
});

test("the login host only at the connection's own tenant's token endpoint", () => {
  const base = "https://login.microsoftonline.com";
  assert.match(check(`${base}/fabrikam.example/oauth2/v2.0/token`).reason, /not 'fabrikam.example'/);
  assert.match(check(`${base}/common/oauth2/v2.0/token`).reason, /not 'common'/);
  assert.equal(check(`${base}/contoso%2Eexample/oauth2/v2.0/token`).ok, true, "encoding hides nothing");
  for (const path of [
    "/contoso.example/../fabrikam.example/oauth2/v2.0/token",
    "/contoso.example/%2E%2E/fabrikam.example/oauth2/v2.0/token",
    "/contoso.example/oauth2/v2.0/token/..%2F..%2Ffabrikam.example",
    "/contoso.example//oauth2/v2.0/token",
  ]) {
    assert.match(check(base + path).reason, /only under the connection's own tenant/, path);
  }
  assert.match(
    check(`${base}/contoso.example/oauth2/v2.0/authorize`).reason,
    /only the tenant's token endpoint/,
  );
});

test("upload hosts never get a credential", () => {
  const url =
    "https://outlook.office.com/api/v2.0/Users('x')/Messages('y')/AttachmentSessions('z')?authtoken=url-credential";
  assert.equal(check(url).kind, "upload");
  assert.match(check(url, [["Authorization", "Bearer x"]]).reason, /Authorization header/);
  assert.match(check(url, [["x-token", "the-access-token"]]).reason, /in the headers/);
  assert.match(check(url, [["x-auth", "bearer abc"]]).reason, /in the headers/);
  assert.match(check(`${url}&t=the%2Daccess-token`).reason, /in the query/);
  assert.match(check(`${url}&s=s3cret-value`, [], ["s3cret-value"]).reason, /in the query/);
});

test("an operator block wins, and an unreadable connection allows nothing", () => {
  const blocked = { ...policy, deniedHosts: ["Graph.Microsoft.com"] };
  assert.equal(
    check("https://graph.microsoft.com/v1.0/me", [], [], blocked).reason,
    "'graph.microsoft.com' is blocked by the operator",
  );
  const none = policyFor(hostView({ environment: "mars" }));
  assert.equal(check("https://graph.microsoft.com/v1.0/me", [], [], none).ok, false);
});

test("labels and aliases give the right cloud", () => {
  const v = hostView({ "Microsoft 365 Environment": "GCC High", "Tenant ID": " t ", "Client Secret": "abcd" });
  assert.equal(v.graphHost, "graph.microsoft.us");
  assert.deepEqual(v.uploadHosts, [], "GCC High has no upload host");
  assert.equal(v.tenant, "t");
  assert.deepEqual(v.secrets, ["abcd"]);
  assert.equal(hostView({ environment: "21Vianet" }).loginHost, "login.chinacloudapi.cn");
  assert.equal(hostView([]), null);
});
