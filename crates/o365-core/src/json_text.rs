//! The JSON text of a result's parts, the same bytes serde_json writes, made for
//! megabytes of mail: the value is consumed as it is written (memory never holds
//! the data twice over), and strings are copied in runs between the bytes that
//! need escaping, found eight at a time. serde_json looks at each byte in turn,
//! which in the wasm guest was a third of a fetch's time; base64 attachment
//! content has no byte to escape at all.

use serde_json::Value;

/// A byte sink in 1 MiB chunks: growing it never copies, and its chunks fit in the
/// holes the freed parts of the value leave.
#[derive(Default)]
struct Chunks {
    chunks: Vec<Vec<u8>>,
    len: usize,
}

const CHUNK: usize = 1 << 20;

impl Chunks {
    fn put(&mut self, bytes: &[u8]) {
        match self.chunks.last_mut() {
            Some(last) if last.capacity() - last.len() >= bytes.len() => {
                last.extend_from_slice(bytes)
            }
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK.max(bytes.len()));
                chunk.extend_from_slice(bytes);
                self.chunks.push(chunk);
            }
        }
        self.len += bytes.len();
    }

    fn into_string(self) -> String {
        let mut out = Vec::with_capacity(self.len);
        for chunk in self.chunks {
            out.extend_from_slice(&chunk);
        }
        String::from_utf8(out).expect("only UTF-8 is written")
    }
}

/// `v` as compact JSON text, byte for byte what `serde_json::to_string` gives.
pub fn to_text(v: Value) -> String {
    let mut out = Chunks::default();
    write_value(v, &mut out);
    out.into_string()
}

fn write_value(v: Value, out: &mut Chunks) {
    match v {
        Value::Null => out.put(b"null"),
        Value::Bool(b) => out.put(if b { b"true" } else { b"false" }),
        Value::Number(n) => out.put(n.to_string().as_bytes()),
        Value::String(s) => write_str(&s, out),
        Value::Array(items) => {
            out.put(b"[");
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.put(b",");
                }
                write_value(item, out);
            }
            out.put(b"]");
        }
        Value::Object(map) => {
            out.put(b"{");
            for (i, (k, v)) in map.into_iter().enumerate() {
                if i > 0 {
                    out.put(b",");
                }
                write_str(&k, out);
                out.put(b":");
                write_value(v, out);
            }
            out.put(b"}");
        }
    }
}

fn write_str(s: &str, out: &mut Chunks) {
    let bytes = s.as_bytes();
    out.put(b"\"");
    let mut start = 0;
    while let Some(at) = next_escape(&bytes[start..]).map(|i| start + i) {
        out.put(&bytes[start..at]);
        write_escape(bytes[at], out);
        start = at + 1;
    }
    out.put(&bytes[start..]);
    out.put(b"\"");
}

/// Writes the escape sequence of a byte JSON strings cannot hold as it is.
fn write_escape(b: u8, out: &mut Chunks) {
    let short: &[u8] = match b {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        0x08 => b"\\b",
        0x0c => b"\\f",
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.put(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
            return;
        }
    };
    out.put(short);
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether any byte of `word` is below `n` (n <= 128): the classic bit trick, exact
/// as a yes/no answer.
fn has_byte_below(word: u64, n: u8) -> bool {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS != 0
}

fn has_byte(word: u64, b: u8) -> bool {
    has_byte_below(word ^ (ONES * u64::from(b)), 1)
}

/// Index of the first byte that needs escaping: words of eight bytes are skipped
/// while none of theirs does, then the word that has one is searched bytewise.
fn next_escape(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let word = u64::from_ne_bytes(bytes[i..i + 8].try_into().expect("eight bytes"));
        if has_byte_below(word, 0x20) || has_byte(word, b'"') || has_byte(word, b'\\') {
            break;
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|&b| needs_escape(b))
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_text_as_serde_json() {
        let every_byte: String = (0u8..128).map(char::from).collect();
        let v = json!({
            "b64": "QUJD".repeat(1000),
            "every ascii byte": every_byte,
            "unicode": "Grüße — 日本 🎉 \u{2028}",
            "quotes \"and\" \\ in a key": [1, -2.5, 1e300, true, false, null, {}, []],
            "mixed": format!("{}\"{}\n", "x".repeat(13), "y".repeat(7)),
            "nested": {"a": [{"b": "c\td"}]},
        });
        assert_eq!(to_text(v.clone()), serde_json::to_string(&v).unwrap());
        for s in ["", "\"", "\\\\", "1234567\"", "12345678\u{1f}"] {
            assert_eq!(to_text(json!(s)), serde_json::to_string(s).unwrap());
        }
    }

    #[test]
    fn the_escape_scan_misses_nothing() {
        for at in 0..20 {
            for b in (0u8..=255).filter(|&b| needs_escape(b)) {
                let mut bytes = vec![b'a'; 20];
                bytes[at] = b;
                assert_eq!(next_escape(&bytes), Some(at), "byte {b:#x} at {at}");
            }
        }
        // Bytes above 0x7f (UTF-8) never need escaping.
        assert_eq!(
            next_escape(&[0xc3, 0xbc, 0xff, 0x80, 0x7f, 0x20, 0x21, 0x5d, 0x5b]),
            None
        );
    }
}
