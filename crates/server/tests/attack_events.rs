//! The events side of the attack run (issue 17): retention, the insights' memory, range and
//! lists, customer text in CSV exports, and a read-only events database.

mod common;

use common::*;

#[tokio::test]
async fn retention_of_zero_days_is_off_and_keeps_every_row() {
    let mut config = config(sample_index());
    config.retention_days = 0;
    let snapshot = kotae_core::Snapshot::open(&kotae_core::IndexRoot::new(sample_index()), analyzer()).unwrap();
    let s = kotae_server::AppState::new(config, analyzer().clone(), snapshot);
    let store = s.events.store().unwrap().clone();
    let now = kotae_events::now();
    for (ts, text) in [(now - 3_000 * 86_400, "old"), (now - 86_400, "recent"), (now, "now")] {
        store
            .record_question(&kotae_events::Question { ts, session: None, search_id: None, article: None, query: None, question: text.into(), contact: None })
            .unwrap();
        store.record_all(&[kotae_events::Event::View { ts, session: None, search_id: None, article: text.into() }]).unwrap();
    }
    let task = kotae_server::events::spawn_retention(s.clone());
    // Retention runs at start when it is on; off, the task has nothing to do and ends.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(3), task).await;
    assert!(ended.is_ok(), "with retention off the task ends instead of deleting daily");
    assert_eq!(store.count("questions", "").unwrap(), 3, "questions are kept");
    assert_eq!(store.count("events", "").unwrap(), 3, "events are kept");
}
