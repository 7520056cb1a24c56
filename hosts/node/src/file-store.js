// The file store the guest imports: one directory per connection (named by a digest of the
// connection id), files under random ids of 32 lowercase hex digits, so no id can name a
// path. Synchronous, since the guest calls it synchronously; several workers may share
// the root, as ids never collide.

import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const ID = /^[0-9a-f]{32}$/;

export class FileStore {
  constructor(root, connectionId, quotaBytes = 1024 ** 3) {
    const digest = createHash("sha256").update(connectionId).digest("hex").slice(0, 32);
    this.dir = path.join(root, `connection-${digest}`);
    this.quotaBytes = quotaBytes;
  }

  #usedBytes() {
    if (!fs.existsSync(this.dir)) return 0;
    return fs
      .readdirSync(this.dir)
      .filter((name) => name.endsWith(".bin"))
      .reduce((sum, name) => sum + fs.statSync(path.join(this.dir, name)).size, 0);
  }

  /** @returns {{fileId, name, contentType, size: bigint}}; throws a message string. */
  put(name, contentType, data) {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw `file store unavailable: ${e.message}`;
    }
    const used = this.#usedBytes();
    if (used + data.length > this.quotaBytes) {
      throw `the file store is full: ${data.length} bytes would exceed this connection's quota of ${this.quotaBytes} bytes (${used} in use).`;
    }
    const fileId = randomBytes(16).toString("hex");
    const info = { fileId, name, contentType, size: data.length };
    try {
      fs.writeFileSync(path.join(this.dir, `${fileId}.bin`), data, { mode: 0o600 });
      fs.writeFileSync(path.join(this.dir, `${fileId}.json`), JSON.stringify(info), {
        mode: 0o600,
      });
    } catch (e) {
      throw `could not store the file: ${e.message}`;
    }
    return { ...info, size: BigInt(data.length) };
  }

  /** @returns {[info, Uint8Array]}; throws a message string. */
  get(fileId) {
    const id = fileId.trim();
    if (!ID.test(id)) {
      throw `'${fileId}' is not a file id of this store (32 lowercase hex digits).`;
    }
    let info;
    try {
      info = JSON.parse(fs.readFileSync(path.join(this.dir, `${id}.json`), "utf8"));
    } catch {
      throw `no file with id '${id}' in this tenant's store.`;
    }
    let data;
    try {
      data = fs.readFileSync(path.join(this.dir, `${id}.bin`));
    } catch (e) {
      throw `file unreadable: ${e.message}`;
    }
    return [{ ...info, size: BigInt(info.size) }, new Uint8Array(data)];
  }
}
