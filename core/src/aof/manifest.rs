//! The append-only file's manifest, as Redis 7.0 writes and reads it: one line per file,
//! `file <name> seq <n> type <b|i|h>`, the base first, then the incremental files in the order
//! they are replayed; history files (`h`) are left from a rewrite and only wait for removal.

use crate::util::split_args::{quote, split_args};

/// Redis reads manifest lines of at most this many bytes.
const LINE_BYTES_MAX: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    /// Replayed after the base, in this order (their sequence numbers rise).
    pub incrs: Vec<FileInfo>,
    pub history: Vec<FileInfo>,
}

/// Why a manifest cannot be read: Redis's text, and the line it was found on (0 when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub line: usize,
    pub message: &'static str,
}

const INVALID: &str = "Invalid AOF manifest file format";

impl Manifest {
    /// Reads a manifest as Redis 7.0 does: comment lines start with `#`; every other line
    /// holds key-value pairs among which `file`, `seq` (above 0) and `type` must be.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let mut manifest = Manifest::default();
        if bytes.is_empty() {
            return Err(ManifestError {
                line: 0,
                message: "Found an empty AOF manifest",
            });
        }
        let mut rest = bytes;
        let mut number = 0;
        while !rest.is_empty() {
            number += 1;
            let fail = |message| {
                Err(ManifestError {
                    line: number,
                    message,
                })
            };
            let end = rest.iter().position(|&byte| byte == b'\n');
            let (line, after) = match end {
                Some(end) if end < LINE_BYTES_MAX => (&rest[..end], &rest[end + 1..]),
                _ if rest[0] == b'#' => (rest, &rest[rest.len().min(LINE_BYTES_MAX)..]),
                _ => return fail("The AOF manifest file contains too long line"),
            };
            rest = after;
            if line.first() == Some(&b'#') {
                continue;
            }
            let Some(words) = split_args(line) else {
                return fail(INVALID);
            };
            if words.len() < 6 || words.len() % 2 != 0 {
                return fail(INVALID);
            }
            let (mut name, mut seq, mut kind) = (None, 0u64, None);
            for pair in words.chunks(2) {
                let value = &pair[1];
                match pair[0].to_ascii_lowercase().as_slice() {
                    b"file" => {
                        if value.contains(&b'/') {
                            return fail("File can't be a path, just a filename");
                        }
                        name = Some(String::from_utf8_lossy(value).into_owned());
                    }
                    b"seq" => seq = leading_number(value),
                    b"type" => kind = value.first().copied(),
                    _ => {}
                }
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return fail(INVALID);
            };
            if seq == 0 || name.is_empty() {
                return fail(INVALID);
            }
            let info = FileInfo { name, seq };
            match kind {
                b'b' if manifest.base.is_some() => {
                    return fail("Found duplicate base file information")
                }
                b'b' => manifest.base = Some(info),
                b'h' => manifest.history.push(info),
                b'i' => {
                    if manifest.incrs.last().is_some_and(|last| seq <= last.seq) {
                        return fail("Found a non-monotonic sequence number");
                    }
                    manifest.incrs.push(info);
                }
                _ => return fail("Unknown AOF file type"),
            }
        }
        Ok(manifest)
    }

    /// The manifest's text, as Redis writes it: the base, the history, then the incremental
    /// files.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut line = |info: &FileInfo, kind: &str| {
            out.extend_from_slice(b"file ");
            let name = info.name.as_bytes();
            if name
                .iter()
                .all(|&byte| byte.is_ascii_graphic() && !b"\"'\\".contains(&byte))
            {
                out.extend_from_slice(name);
            } else {
                quote(&mut out, name);
            }
            out.extend_from_slice(format!(" seq {} type {kind}\n", info.seq).as_bytes());
        };
        if let Some(base) = &self.base {
            line(base, "b");
        }
        for info in &self.history {
            line(info, "h");
        }
        for info in &self.incrs {
            line(info, "i");
        }
        out
    }

    /// Every file the manifest names, in the order they load: the base, then the incremental
    /// files.
    pub fn load_order(&self) -> impl Iterator<Item = &FileInfo> {
        self.base.iter().chain(self.incrs.iter())
    }

    /// The base's sequence number; 0 when there is none.
    pub(crate) fn base_seq(&self) -> u64 {
        self.base.as_ref().map_or(0, |base| base.seq)
    }

    /// The last incremental file's sequence number; 0 when there is none.
    pub(crate) fn incr_seq(&self) -> u64 {
        self.incrs.last().map_or(0, |incr| incr.seq)
    }
}

/// C's `atoll`: the number the text starts with (after white space), 0 when none.
fn leading_number(text: &[u8]) -> u64 {
    let digits = text
        .iter()
        .skip_while(|byte| byte.is_ascii_whitespace())
        .take_while(|byte| byte.is_ascii_digit());
    digits.fold(0u64, |value, digit| {
        value
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    })
}

/// Names as Redis 7.0 gives them: `<appendfilename>.<seq>.base.rdb` (or `.aof` without the
/// RDB preamble), `<appendfilename>.<seq>.incr.aof`, `<appendfilename>.manifest`.
pub fn base_name(prefix: &str, seq: u64, rdb: bool) -> String {
    let format = if rdb { "rdb" } else { "aof" };
    format!("{prefix}.{seq}.base.{format}")
}

pub fn incr_name(prefix: &str, seq: u64) -> String {
    format!("{prefix}.{seq}.incr.aof")
}

pub fn manifest_name(prefix: &str) -> String {
    format!("{prefix}.manifest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_what_it_wrote() {
        let manifest = Manifest {
            base: Some(FileInfo {
                name: "appendonly.aof.2.base.rdb".into(),
                seq: 2,
            }),
            incrs: vec![
                FileInfo {
                    name: "appendonly.aof.4.incr.aof".into(),
                    seq: 4,
                },
                FileInfo {
                    name: "with space.5.incr.aof".into(),
                    seq: 5,
                },
            ],
            history: vec![FileInfo {
                name: "appendonly.aof.3.incr.aof".into(),
                seq: 3,
            }],
        };
        let text = manifest.to_bytes();
        assert!(text.starts_with(b"file appendonly.aof.2.base.rdb seq 2 type b\n"));
        assert_eq!(Manifest::parse(&text), Ok(manifest));
    }

    #[test]
    fn bad_manifests_get_redis_texts() {
        let error = |text: &[u8]| Manifest::parse(text).unwrap_err().message;
        assert_eq!(error(b""), "Found an empty AOF manifest");
        assert_eq!(error(b"file a seq 1\n"), INVALID);
        assert_eq!(error(b"file a seq x type i\n"), INVALID);
        assert_eq!(error(b"\n"), INVALID);
        assert_eq!(
            error(b"file a seq 2 type i\nfile b seq 2 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(
            error(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(error(b"file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(
            error(b"file ../a seq 1 type i\n"),
            "File can't be a path, just a filename"
        );
        let long = [b"file ".as_slice(), &[b'a'; 1100], b" seq 1 type i\n"].concat();
        assert_eq!(error(&long), "The AOF manifest file contains too long line");
        // As Redis reads lines, the last one must end too.
        assert_eq!(
            error(b"file a seq 1 type i"),
            "The AOF manifest file contains too long line"
        );
        // Comments and unknown keys are fine.
        let manifest = Manifest::parse(b"# hi\nfile a seq 1 type i extra 1\n").unwrap();
        assert_eq!(manifest.incrs.len(), 1);
    }
}
