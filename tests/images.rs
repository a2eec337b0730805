//! Images in pages, as writers meet them: a missing image fails `check` and `index` at its
//! `path:line` (the served index stays), an external image from a host the config does not list
//! is a warning, and a generation carries its images.

use std::fs;

use crate::util::{copy_dir, kotae, sample_content, stderr, stdout};

const MISSING: &str = "content/contact/order-number.md:16: image file `order-number.png` not found (looked for contact/order-number.png in the content folder)";

#[test]
fn a_missing_image_fails_check_and_index_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample_content(), &dir.path().join("content"));
    let ok = kotae(dir.path(), &["index", "--quiet"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let current = || fs::read_to_string(dir.path().join("index/CURRENT")).unwrap();
    let before = current();
    // The generation carries the sample image under its hash name.
    let media: Vec<_> = fs::read_dir(dir.path().join("index").join(before.trim()).join("media"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(media.len(), 1);
    assert_eq!(
        fs::read(media[0].path()).unwrap(),
        fs::read(sample_content().join("contact/order-number.png")).unwrap()
    );

    fs::remove_file(dir.path().join("content/contact/order-number.png")).unwrap();
    let check = kotae(dir.path(), &["check"]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    assert!(stdout(&check).contains(MISSING), "{}", stdout(&check));

    let index = kotae(dir.path(), &["index", "--quiet"]);
    assert_eq!(index.status.code(), Some(1));
    assert!(stderr(&index).contains(MISSING), "{}", stderr(&index));
    assert_eq!(current(), before, "the served index stays");
}

#[test]
fn an_external_image_from_an_unlisted_host_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample_content(), &dir.path().join("content"));
    let page = dir.path().join("content/shipping/tracking.md");
    let text = fs::read_to_string(&page).unwrap();
    fs::write(
        &page,
        format!("{text}\n![追跡画面の例](https://cdn.example.com/tracking.png)\n"),
    )
    .unwrap();
    let line = text.lines().count() + 2;
    let warning = format!(
        "content/shipping/tracking.md:{line}: warning: image `https://cdn.example.com/tracking.png` is from `https://cdn.example.com`, which `image_hosts` in the service's config does not list: it is shown as a link"
    );

    let check = kotae(dir.path(), &["check"]);
    assert!(check.status.success(), "a warning only: {}", stdout(&check));
    assert!(stdout(&check).contains(&warning), "{}", stdout(&check));

    fs::write(
        dir.path().join("kotae.toml"),
        "image_hosts = [\"https://cdn.example.com\"]\n",
    )
    .unwrap();
    let check = kotae(dir.path(), &["check"]);
    assert!(check.status.success());
    assert!(
        !stdout(&check).contains("image_hosts"),
        "{}",
        stdout(&check)
    );
}
