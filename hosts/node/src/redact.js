// Scrubs an invocation's secrets (the connection's, and every token it saw) from what the
// host passes on: log lines and the result document. The component itself never puts a
// secret there; this is the host's second line, as in the Rust host.

export const MARK = "[REDACTED]";

export class Redactor {
  #secrets = new Set();

  constructor(secrets = []) {
    for (const s of secrets) this.add(s);
  }

  add(secret) {
    if (typeof secret === "string" && secret.length >= 4) this.#secrets.add(secret);
  }

  list() {
    return [...this.#secrets];
  }

  /** Text with every secret replaced, longest first (a secret may contain another). */
  text(text) {
    let out = text;
    for (const s of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(s)) out = out.split(s).join(MARK);
    }
    return out;
  }

  /** A JSON value with every string scrubbed. */
  json(value) {
    if (typeof value === "string") return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.json(v));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.json(v)]));
    }
    return value;
  }
}
