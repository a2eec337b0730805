//! Is a compiled dictionary whole? A cache entry's manifest records the size and CRC-32 of each
//! file the compiler wrote; it is written last (atomically), so an entry without one was never
//! finished, or was written by an older kotae.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The manifest's name inside a cache entry.
pub(super) const FILE: &str = "manifest.json";
/// Bumped when the manifest's meaning changes.
const FORMAT: u32 = 1;
/// A file every compiled dictionary has, which a manifest must therefore list.
const ALWAYS: &str = "metadata.json";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    files: Vec<Recorded>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Recorded {
    name: String,
    size: u64,
    crc32: u32,
}

/// Why a cache entry cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Problem {
    /// There is no entry yet (not damage: the first compilation).
    Absent,
    /// The entry has no manifest: written by an older kotae, or its compilation was cut short.
    NoManifest,
    /// The manifest cannot be read or does not describe a dictionary.
    BadManifest(String),
    /// A file the manifest lists is missing or cannot be read.
    Unreadable { name: String, error: String },
    /// A file's size is not the one recorded.
    Size { name: String, found: u64, expected: u64 },
    /// A file's bytes do not match the recorded checksum.
    Checksum { name: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Absent => write!(f, "no compiled dictionary"),
            Problem::NoManifest => write!(f, "no {FILE} (written by an older kotae, or cut short)"),
            Problem::BadManifest(why) => write!(f, "unusable {FILE}: {why}"),
            Problem::Unreadable { name, error } => write!(f, "`{name}` cannot be read: {error}"),
            Problem::Size { name, found, expected } => {
                write!(f, "`{name}` has {found} bytes, {expected} expected")
            }
            Problem::Checksum { name } => write!(f, "`{name}` fails its checksum (CRC-32)"),
        }
    }
}

/// Record every file of `dir` in its manifest, after making the files durable. The manifest is
/// written to a temporary name, synced and renamed, so it is either whole or absent.
pub(super) fn write(dir: &Path) -> io::Result<()> {
    let mut names: Vec<String> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name != FILE && !name.starts_with('.') {
                names.push(name);
            }
        }
    }
    names.sort();
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let mut file = fs::File::open(dir.join(&name))?;
        file.sync_all()?;
        let (size, crc32) = measure(&mut file)?;
        files.push(Recorded { name, size, crc32 });
    }
    let bytes = serde_json::to_vec_pretty(&Manifest { format: FORMAT, files })?;
    let tmp = dir.join(format!(".{FILE}.tmp"));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, dir.join(FILE))?;
    fs::File::open(dir)?.sync_all()
}

/// Check every file `entry`'s manifest lists: present, of the recorded size, with the recorded
/// CRC-32. Reads each file once (about 50 MB for IPADIC).
pub(super) fn verify(entry: &Path) -> Result<(), Problem> {
    if !entry.is_dir() {
        return Err(Problem::Absent);
    }
    let path = entry.join(FILE);
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Problem::NoManifest),
        Err(e) => return Err(Problem::BadManifest(e.to_string())),
    };
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| Problem::BadManifest(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(Problem::BadManifest(format!("format {}, {FORMAT} expected", manifest.format)));
    }
    if !manifest.files.iter().any(|f| f.name == ALWAYS) {
        return Err(Problem::BadManifest(format!("`{ALWAYS}` is not listed")));
    }
    for recorded in &manifest.files {
        let name = &recorded.name;
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(Problem::BadManifest(format!("`{name}` is not a file name of the entry")));
        }
        let unreadable = |e: io::Error| Problem::Unreadable { name: name.clone(), error: e.to_string() };
        let mut file = fs::File::open(entry.join(name)).map_err(unreadable)?;
        let found = file.metadata().map_err(unreadable)?.len();
        if found != recorded.size {
            return Err(Problem::Size { name: name.clone(), found, expected: recorded.size });
        }
        let (read, crc32) = measure(&mut file).map_err(unreadable)?;
        if read != recorded.size || crc32 != recorded.crc32 {
            return Err(Problem::Checksum { name: name.clone() });
        }
    }
    Ok(())
}

/// The number of bytes of `file` and their CRC-32, read from the start in 1 MiB blocks.
fn measure(file: &mut fs::File) -> io::Result<(u64, u32)> {
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            fs::write(dir.path().join(name), bytes).unwrap();
        }
        write(dir.path()).unwrap();
        dir
    }

    #[test]
    fn every_kind_of_damage_is_named() {
        let files: [(&str, &[u8]); 2] = [("metadata.json", b"{}"), ("dict.words", b"0123456789")];
        let good = entry_with(&files);
        assert_eq!(verify(good.path()), Ok(()));
        assert_eq!(verify(&good.path().join("absent")), Err(Problem::Absent));

        let truncated = entry_with(&files);
        fs::write(truncated.path().join("dict.words"), b"01234").unwrap();
        let problem = verify(truncated.path()).unwrap_err();
        assert_eq!(problem, Problem::Size { name: "dict.words".into(), found: 5, expected: 10 });
        assert_eq!(problem.to_string(), "`dict.words` has 5 bytes, 10 expected");

        let altered = entry_with(&files);
        fs::write(altered.path().join("dict.words"), b"0123X56789").unwrap();
        assert_eq!(verify(altered.path()), Err(Problem::Checksum { name: "dict.words".into() }));

        let deleted = entry_with(&files);
        fs::remove_file(deleted.path().join("dict.words")).unwrap();
        assert!(matches!(verify(deleted.path()), Err(Problem::Unreadable { name, .. }) if name == "dict.words"));

        let old = entry_with(&files);
        fs::remove_file(old.path().join(FILE)).unwrap();
        assert_eq!(verify(old.path()), Err(Problem::NoManifest));

        let garbled = entry_with(&files);
        fs::write(garbled.path().join(FILE), b"{\"format\": 1, \"fil").unwrap();
        assert!(matches!(verify(garbled.path()), Err(Problem::BadManifest(_))));

        let escaping = entry_with(&files);
        let text = fs::read_to_string(escaping.path().join(FILE)).unwrap().replace("\"dict.words\"", "\"../dict.words\"");
        fs::write(escaping.path().join(FILE), text).unwrap();
        assert!(matches!(verify(escaping.path()), Err(Problem::BadManifest(_))));
    }

    #[test]
    fn the_manifest_lists_every_file_but_itself_and_hidden_ones() {
        let dir = entry_with(&[("metadata.json", b"{}"), ("unk.bin", b"u"), (".lock", b"")]);
        let manifest: Manifest = serde_json::from_slice(&fs::read(dir.path().join(FILE)).unwrap()).unwrap();
        let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["metadata.json", "unk.bin"]);
        assert_eq!(manifest.files[1].size, 1);
        assert_eq!(manifest.files[1].crc32, crc32fast::hash(b"u"));
        assert!(!dir.path().join(format!(".{FILE}.tmp")).exists());
    }
}
