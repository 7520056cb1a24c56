// The little a host must read from a connection JSON itself, before the component runs:
// its cloud (for the allowlist), its tenant (the login host's only path) and its secrets
// (for redaction). Everything else about the connection is the component's business
// (json-entry `invoke` parses it and names the bad parameter).

/** Login and Graph host of each cloud, by WIT enum name. */
const CLOUD_HOSTS = {
  "commercial-gcc": ["login.microsoftonline.com", "graph.microsoft.com"],
  "gcc-high": ["login.microsoftonline.us", "graph.microsoft.us"],
  dod: ["login.microsoftonline.us", "dod-graph.microsoft.us"],
  china: ["login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn"],
};

/** Hosts of pre-authenticated upload URLs (no token ever goes there); none in GCC High, DoD. */
const UPLOAD_HOSTS = {
  "commercial-gcc": ["outlook.office.com", "outlook.office365.com"],
  "gcc-high": [],
  dod: [],
  china: ["partner.outlook.cn"],
};

/** Every cloud host, for routing them all to a simulator. */
export const ALL_CLOUD_HOSTS = [
  ...new Set(Object.values(CLOUD_HOSTS).flat().concat(Object.values(UPLOAD_HOSTS).flat())),
];

/** The environment names and the vendor document's wordings the component accepts. */
const ENVIRONMENT_ALIASES = {
  "": "commercial-gcc",
  "commercial-gcc": "commercial-gcc",
  "commercial & gcc environment": "commercial-gcc",
  commercial: "commercial-gcc",
  gcc: "commercial-gcc",
  "gcc-high": "gcc-high",
  "gcc high environment (level 4)": "gcc-high",
  "gcc high": "gcc-high",
  dod: "dod",
  "dod environment (level 5)": "dod",
  china: "china",
  "21vianet": "china",
};

/** A field by WIT name or vendor label, case-insensitively, as text. */
function field(connection, names) {
  for (const [key, value] of Object.entries(connection)) {
    if (names.some((n) => n.toLowerCase() === key.trim().toLowerCase())) {
      if (value === null || value === undefined) return "";
      return typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return "";
}

/**
 * What the host needs from a connection. Returns null for a connection whose cloud it
 * cannot tell: the host then allows no host at all, and the component's own parsing
 * reports the bad parameter.
 */
export function hostView(connection) {
  if (connection === null || typeof connection !== "object" || Array.isArray(connection)) {
    return null;
  }
  const given = field(connection, ["environment", "Microsoft 365 Environment"]);
  const environment = ENVIRONMENT_ALIASES[given.trim().toLowerCase()];
  if (!environment) return null;
  const [loginHost, graphHost] = CLOUD_HOSTS[environment];
  const secrets = [
    field(connection, ["client-secret", "Client Secret"]),
    field(connection, ["refresh-token", "Refresh Token"]),
    field(connection, ["authorization-code", "Authorization Code"]),
  ].filter((s) => s.length > 0);
  return {
    environment,
    tenant: field(connection, ["tenant-id", "Tenant ID"]).trim(),
    loginHost,
    graphHost,
    uploadHosts: UPLOAD_HOSTS[environment],
    secrets,
  };
}
