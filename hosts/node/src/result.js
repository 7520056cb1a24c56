// A command-result as the document every host returns (the README's "The result"): the
// guest's JSON text parts spliced in as JSON (a part that is not JSON stays a string, so a
// guest cannot inject structure), kebab-case field names, sizes as numbers.

function jsonPart(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function resultDocument(result) {
  return {
    status: result.status,
    "raw-data": jsonPart(result.rawData),
    "key-fields": jsonPart(result.keyFields),
    "context-data": jsonPart(result.contextData),
    errors: result.errors.map((e) => ({
      "failure-indicator": e.failureIndicator,
      "status-code": e.statusCode,
      message: e.message,
    })),
    events: result.events.map(jsonPart),
    files: result.files.map((f) => ({
      "file-id": f.fileId,
      name: f.name,
      "content-type": f.contentType,
      size: Number(f.size),
      md5: f.md5,
      sha1: f.sha1,
      sha256: f.sha256,
    })),
  };
}

/** A failed result the host itself writes (timeout, crash), in the same shape. */
export function hostFailure(failureIndicator, statusCode, message) {
  return {
    status: "failed",
    "raw-data": {},
    "key-fields": {},
    "context-data": {},
    errors: [{ "failure-indicator": failureIndicator, "status-code": statusCode, message }],
    events: [],
    files: [],
  };
}
