//! The JSON text of a result's parts, the same bytes serde_json writes, made for
//! megabytes of mail: the value is consumed as it is written (memory never holds
//! the data twice over), and strings are copied in runs between the bytes that
//! need escaping, found eight at a time. serde_json looks at each byte in turn,
//! which in the wasm guest was a third of a fetch's time; base64 attachment
//! content has no byte to escape at all.

use serde_json::Value;

/// A text sink in 1 MiB chunks: growing it never copies, and its chunks fit in the
/// holes the freed parts of the value leave. It takes `str`, so the result needs
/// no UTF-8 check.
#[derive(Default)]
struct Chunks {
    chunks: Vec<String>,
    len: usize,
}

const CHUNK: usize = 1 << 20;

impl Chunks {
    #[inline]
    fn put(&mut self, text: &str) {
        match self.chunks.last_mut() {
            Some(last) if last.capacity() - last.len() >= text.len() => last.push_str(text),
            _ => {
                let mut chunk = String::with_capacity(CHUNK.max(text.len()));
                chunk.push_str(text);
                self.chunks.push(chunk);
            }
        }
        self.len += text.len();
    }

    fn into_string(self) -> String {
        let mut out = String::with_capacity(self.len);
        for chunk in self.chunks {
            out.push_str(&chunk);
        }
        out
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
        Value::Null => out.put("null"),
        Value::Bool(b) => out.put(if b { "true" } else { "false" }),
        Value::Number(n) => out.put(&n.to_string()),
        Value::String(s) => write_str(&s, out),
        Value::Array(items) => {
            out.put("[");
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.put(",");
                }
                write_value(item, out);
            }
            out.put("]");
        }
        Value::Object(map) => {
            out.put("{");
            for (i, (k, v)) in map.into_iter().enumerate() {
                if i > 0 {
                    out.put(",");
                }
                write_str(&k, out);
                out.put(":");
                write_value(v, out);
            }
            out.put("}");
        }
    }
}

fn write_str(s: &str, out: &mut Chunks) {
    let bytes = s.as_bytes();
    out.put("\"");
    let mut start = 0;
    // Escaped bytes are ASCII, so the cuts fall between characters.
    while let Some(at) = next_escape(&bytes[start..]).map(|i| start + i) {
        out.put(&s[start..at]);
        write_escape(bytes[at], out);
        start = at + 1;
    }
    out.put(&s[start..]);
    out.put("\"");
}

/// Writes the escape sequence of a byte JSON strings cannot hold as it is.
fn write_escape(b: u8, out: &mut Chunks) {
    let short = match b {
        b'"' => "\\\"",
        b'\\' => "\\\\",
        b'\n' => "\\n",
        b'\r' => "\\r",
        b'\t' => "\\t",
        0x08 => "\\b",
        0x0c => "\\f",
        _ => return out.put(&format!("\\u{b:04x}")),
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
