//! Integration tests of the service, one module per area, in one binary: the sample corpus is
//! indexed once (`common::sample_index`) and shared by every module.

mod common;

mod api;
mod attack_auth;
mod attack_events;
mod attack_html;
mod contact_block;
mod damaged_files;
mod public_side;
mod events;
mod faults;
mod internal;
mod learned;
mod meaning_groups;
mod media;
mod no_dead_end;
mod paging;
mod postgres;
mod related;
mod reload;
mod replicas;
mod security;
mod widget;
