//! Reading replies back: RESP values parsed from raw bytes, for the checks that cannot compare
//! bytes, and printing bytes and commands for reports.

pub fn show(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}

pub fn show_command(args: &[Vec<u8>]) -> String {
    let shown: Vec<String> = args.iter().map(|arg| show(arg)).collect();
    shown.join(" ")
}

/// Reads RESP values back out of a reply's raw bytes (only the shapes KEYS and SCAN use).
pub struct Parser<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl Parser<'_> {
    fn header(&mut self, marker: u8) -> Option<usize> {
        if self.bytes.get(self.at) != Some(&marker) {
            return None;
        }
        let rest = &self.bytes[self.at + 1..];
        let end = rest.windows(2).position(|pair| pair == b"\r\n")?;
        let len = std::str::from_utf8(&rest[..end]).ok()?.parse().ok()?;
        self.at += 1 + end + 2;
        Some(len)
    }

    pub fn bulk(&mut self) -> Option<Vec<u8>> {
        let len = self.header(b'$')?;
        let bytes = self.bytes.get(self.at..self.at + len)?.to_vec();
        assert_eq!(&self.bytes[self.at + len..self.at + len + 2], b"\r\n");
        self.at += len + 2;
        Some(bytes)
    }

    fn bulk_array(&mut self) -> Option<Vec<Vec<u8>>> {
        let len = self.header(b'*')?;
        (0..len).map(|_| self.bulk()).collect()
    }
}

/// A parsed reply, for the checks that cannot compare bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    /// A bulk or verbatim string's bytes.
    Bulk(Vec<u8>),
    /// Any one-line reply: its marker and text.
    Line(u8, Vec<u8>),
    /// An array, set or map (maps flattened): its marker and elements.
    Aggregate(u8, Vec<Value>),
}

impl Parser<'_> {
    fn line(&mut self) -> Option<Vec<u8>> {
        let rest = self.bytes.get(self.at + 1..)?;
        let end = rest.windows(2).position(|pair| pair == b"\r\n")?;
        let line = rest[..end].to_vec();
        self.at += 1 + end + 2;
        Some(line)
    }

    fn value(&mut self) -> Option<Value> {
        let marker = *self.bytes.get(self.at)?;
        match marker {
            b'$' | b'=' => {
                let len: i64 = std::str::from_utf8(&self.line()?).ok()?.parse().ok()?;
                if len < 0 {
                    return Some(Value::Line(b'_', Vec::new()));
                }
                let len = len as usize;
                let bytes = self.bytes.get(self.at..self.at + len)?.to_vec();
                self.at += len + 2;
                Some(Value::Bulk(bytes))
            }
            b'*' | b'~' | b'%' => {
                let len: i64 = std::str::from_utf8(&self.line()?).ok()?.parse().ok()?;
                if len < 0 {
                    return Some(Value::Line(b'_', Vec::new()));
                }
                let len = if marker == b'%' { 2 * len } else { len };
                let elements = (0..len).map(|_| self.value()).collect::<Option<_>>()?;
                Some(Value::Aggregate(marker, elements))
            }
            _ => Some(Value::Line(marker, self.line()?)),
        }
    }
}

pub fn parse(raw: &[u8]) -> Option<Value> {
    let mut parser = Parser { bytes: raw, at: 0 };
    let value = parser.value()?;
    (parser.at == raw.len()).then_some(value)
}

/// The integer of a `:n` reply.
pub fn integer(raw: &[u8]) -> Option<i64> {
    match parse(raw)? {
        Value::Line(b':', text) => std::str::from_utf8(&text).ok()?.parse().ok(),
        _ => None,
    }
}

/// `(db, keys, expires)` for every database INFO's keyspace section lists.
pub fn keyspace(raw: &[u8]) -> Option<Vec<(String, String, String)>> {
    let Value::Bulk(text) = parse(raw)? else {
        return None;
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    let mut dbs = Vec::new();
    for line in text.lines() {
        let Some((db, fields)) = line.split_once(':') else {
            continue;
        };
        if !db.starts_with("db") || db[2..].parse::<u32>().is_err() {
            continue;
        }
        let field = |name: &str| {
            fields
                .split(',')
                .find_map(|field| field.strip_prefix(name))
                .unwrap_or("?")
                .to_string()
        };
        dbs.push((db.to_string(), field("keys="), field("expires=")));
    }
    Some(dbs)
}

/// The elements of a reply that is a flat array of bulk strings.
pub fn bulk_array(raw: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut parser = Parser { bytes: raw, at: 0 };
    let elements = parser.bulk_array()?;
    assert_eq!(parser.at, raw.len(), "trailing bytes in {}", show(raw));
    Some(elements)
}

/// A SCAN page: the next cursor and the keys.
pub fn scan_page(raw: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let mut parser = Parser { bytes: raw, at: 0 };
    if parser.header(b'*')? != 2 {
        return None;
    }
    let cursor = parser.bulk()?;
    let keys = parser.bulk_array()?;
    assert_eq!(parser.at, raw.len(), "trailing bytes in {}", show(raw));
    Some((cursor, keys))
}
