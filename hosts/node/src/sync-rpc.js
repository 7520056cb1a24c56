// Synchronous calls from a worker to the main thread. The component calls its imports
// synchronously, but the platform's shared state (the token cache and its leases) lives on
// the main thread and may make a caller wait (another invocation is refreshing). The
// worker posts the call and blocks in Atomics.wait; the main thread answers, possibly
// later, into a shared buffer and wakes it.

const HEADER = 8; // int32 state, int32 length
const PENDING = 0;
const ANSWERED = 1;

/** A buffer for one worker's calls; answers larger than it fail the call. */
export function rpcBuffer(bytes = 1024 * 1024) {
  return new SharedArrayBuffer(HEADER + bytes);
}

/** The worker's side: `call(op, args)` returns the main thread's answer. */
export function rpcClient(port, buffer) {
  const state = new Int32Array(buffer, 0, 2);
  const body = new Uint8Array(buffer, HEADER);
  return function call(op, args) {
    Atomics.store(state, 0, PENDING);
    port.postMessage({ type: "rpc", op, args });
    Atomics.wait(state, 0, PENDING);
    const answer = JSON.parse(new TextDecoder().decode(body.slice(0, Atomics.load(state, 1))));
    if (answer.error !== undefined) throw new Error(answer.error);
    return answer.value;
  };
}

/** The main thread's side: writes the answer of `handler(op, args)` and wakes the worker. */
export async function answerRpc(buffer, handler, op, args) {
  const state = new Int32Array(buffer, 0, 2);
  const body = new Uint8Array(buffer, HEADER);
  let answer;
  try {
    answer = JSON.stringify({ value: (await handler(op, args)) ?? null });
  } catch (e) {
    answer = JSON.stringify({ error: String(e?.message ?? e) });
  }
  let bytes = new TextEncoder().encode(answer);
  if (bytes.length > body.length) {
    bytes = new TextEncoder().encode(JSON.stringify({ error: `answer over ${body.length} bytes` }));
  }
  body.set(bytes);
  Atomics.store(state, 1, bytes.length);
  Atomics.store(state, 0, ANSWERED);
  Atomics.notify(state, 0);
}
