//! The whole search path on the sample corpus, indexed once per fuzzing process: any bytes
//! become a query and its parameters, and the search must succeed and keep every promise of
//! `tests/search_contract.rs` (filters, page size, score order, highlights).
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use kotae_core::search::{AudienceFilter, SearchRequest};
use kotae_core::{Analyzer, IndexRoot, Snapshot};
use libfuzzer_sys::fuzz_target;

#[path = "../../../../tests/search_contract.rs"]
mod search_contract;

/// The sample corpus, indexed when the process starts into `target/search_query-index` (a new
/// generation each time; the build removes the older ones), so that no run leaves an index
/// behind in the temp folder: libFuzzer ends the process without dropping statics.
static SNAPSHOT: LazyLock<Snapshot> = LazyLock::new(|| {
    let analyzer = Analyzer::from_env().expect("IPADIC is installed (apt-get install -y mecab-ipadic)");
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let options = kotae_indexer::BuildOptions {
        content: here.join("../../../content"),
        index: here.join("target/search_query-index"),
        today: chrono::Local::now().date_naive(),
        progress: false,
    };
    kotae_indexer::build(&options, &analyzer).expect("index the sample corpus");
    Snapshot::open(&IndexRoot::new(&options.index), &analyzer).expect("open the sample index")
});

const CATEGORIES: [Option<&str>; 8] =
    [None, None, Some("returns"), Some("password"), Some("manual"), Some(""), Some("nope"), Some("../manual")];

fuzz_target!(|data: &[u8]| {
    // Three bytes of parameters, the rest is the query.
    let &[a, b, c, ref rest @ ..] = data else { return };
    let Ok(query) = std::str::from_utf8(rest) else { return };
    let audience = [AudienceFilter::Public, AudienceFilter::Internal, AudienceFilter::All][usize::from(a % 3)];
    let category = CATEGORIES[usize::from(a / 3) % CATEGORIES.len()];
    let limit = match b {
        250.. => usize::MAX,
        n => usize::from(n) / 2,
    };
    let offset = match c {
        250.. => usize::MAX,
        n => usize::from(n % 32),
    };
    let request = SearchRequest { query, audience, category, limit, offset, explain: c % 2 == 1, snippets: usize::MAX };
    let results = SNAPSHOT.search(&request).unwrap_or_else(|e| panic!("{query:?} failed: {e}"));
    if let Some(broken) = search_contract::broken_promise(&request, &results) {
        panic!("{query:?} {audience:?} {category:?} limit {limit} offset {offset}: {broken}");
    }
});
