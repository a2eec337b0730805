//! Integration tests of the `kotae` command on the sample corpus, one module per area.

mod util;

mod audience;
mod broken_content;
mod browser;
mod cli;
mod customer_queries;
mod events;
mod events_migrate;
mod faults;
mod html_injection;
mod images;
mod import;
mod japanese;
mod meaning;
mod paraphrase;
mod query_shapes;
mod relevance;
mod report;
mod search_contract;
mod sloppy;
mod writers;
