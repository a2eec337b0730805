use std::path::Path;

use chrono::NaiveDate;

use super::*;
use crate::content::markdown::{ImageContext, render_page_html};
use crate::content::{Loaded, load};

/// The first bytes of a PNG file of `width` × `height`: what the header reader needs.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn page(root: &Path, rel: &str, body: &str) {
    write(
        root,
        rel,
        format!("---\ntitle: 配送状況を確認したい\ncategory: orders\n---\n{body}").as_bytes(),
    );
}

fn loaded(root: &Path) -> Loaded {
    load(root, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap())
}

fn messages(loaded: &Loaded) -> Vec<String> {
    loaded.diagnostics.iter().map(ToString::to_string).collect()
}

#[test]
fn images_beside_the_page_and_under_assets_resolve_with_their_size() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "orders/tracking.png", &png(640, 360));
    write(root, "assets/logo.png", &png(32, 16));
    page(
        root,
        "orders/track.md",
        "![配送状況の画面](tracking.png)\n\n![ロゴ](/assets/logo.png)\n\n![ロゴ](../assets/logo.png)\n",
    );
    let loaded = loaded(root);
    assert!(loaded.diagnostics.is_empty(), "{:?}", messages(&loaded));
    let images = &loaded.corpus.pages[0].images;
    assert_eq!(images.len(), 3);
    assert_eq!(
        images[0].file.as_deref(),
        Some(Path::new("orders/tracking.png"))
    );
    assert_eq!(
        (images[0].width, images[0].height, images[0].line),
        (Some(640), Some(360), 5)
    );
    assert_eq!(
        images[1].file.as_deref(),
        Some(Path::new("assets/logo.png"))
    );
    assert_eq!(
        (images[1].width, images[1].height, images[1].line),
        (Some(32), Some(16), 7)
    );
    // Named by content: the same file by two addresses has one name, another file another.
    assert_eq!(images[1].media, images[2].media);
    assert_ne!(images[0].media, images[1].media);
    let name = images[0].media.as_deref().unwrap();
    assert!(is_media_name(name) && name.ends_with(".png"), "{name}");
    assert_eq!(name, media_name(&png(640, 360), "png"));
}

#[test]
fn a_missing_or_unacceptable_image_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "orders/photo.png",
        b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01",
    );
    write(root, "orders/note.png", b"not an image at all");
    write(
        root,
        "orders/diagram.svg",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    );
    write(root, "orders/scan.bmp", b"BM");
    write(
        root,
        "orders/huge.png",
        &[png(10, 10), vec![0; MAX_IMAGE_BYTES as usize]].concat(),
    );
    write(root, "secret.png", &png(1, 1));
    page(
        root,
        "orders/track.md",
        concat!(
            "![配送状況の画面](tracking.png)\n",
            "![写真](photo.png)\n",
            "![メモ](note.png)\n",
            "![図](diagram.svg)\n",
            "![スキャン](scan.bmp)\n",
            "![大きい](huge.png)\n",
            "![外](../../secret.png)\n",
            "![古い](http://example.com/a.png)\n",
            "![データ](data:image/png;base64,AAAA)\n",
            "![](/secret.png)\n",
        ),
    );
    let got = messages(&loaded(root));
    let p = root.join("orders/track.md").display().to_string();
    let expected = [
        format!(
            "{p}:5: image file `tracking.png` not found (looked for orders/tracking.png in the content folder)"
        ),
        format!(
            "{p}:6: image `photo.png` is not a PNG file: it holds a JPEG image: name it `.jpg`"
        ),
        format!(
            "{p}:7: image `note.png` is not a PNG file: it is not an image file of that type (or it is damaged)"
        ),
        format!(
            "{p}:8: image `diagram.svg`: SVG is not accepted (an SVG file can carry scripts): save it as PNG or WebP"
        ),
        format!(
            "{p}:9: image `scan.bmp`: use a PNG, JPEG, GIF or WebP file (`.png`, `.jpg`, `.gif`, `.webp`)"
        ),
        format!(
            "{p}:10: image `huge.png` is 1.0 MB, over the 1 MB limit: make it smaller (a JPEG or WebP file is often much smaller)"
        ),
        format!(
            "{p}:11: image `../../secret.png` is outside the content folder: put images under it"
        ),
        format!(
            "{p}:12: image `http://example.com/a.png`: use a file under the content folder (like `screen.png` or `/assets/screen.png`) or an `https://` address"
        ),
        format!(
            "{p}:13: image `data:image/png;base64,AAAA`: use a file under the content folder (like `screen.png` or `/assets/screen.png`) or an `https://` address"
        ),
        format!(
            "{p}:14: warning: image `/secret.png` has no alt text: describe it between `![` and `]` for people who cannot see it"
        ),
    ];
    assert_eq!(got, expected);
}

#[test]
fn external_images_from_unlisted_hosts_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    page(
        root,
        "a.md",
        "![地図](https://cdn.example.com/map.png)\n\n![広告](https://ads.example.net/x.png)\n",
    );
    let loaded = loaded(root);
    assert!(loaded.diagnostics.is_empty(), "{:?}", messages(&loaded));
    let hosts = vec!["https://cdn.example.com".to_string()];
    let got: Vec<String> = unlisted_hosts(root, &loaded.corpus.pages, &hosts)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        got,
        [format!(
            "{}:7: warning: image `https://ads.example.net/x.png` is from `https://ads.example.net`, which `image_hosts` in the service's config does not list: it is shown as a link",
            root.join("a.md").display()
        )]
    );
    assert_eq!(unlisted_hosts(root, &loaded.corpus.pages, &[]).len(), 2);
}

#[test]
fn images_render_with_alt_size_and_lazy_loading() {
    let images = [PageImage {
        src: "tracking.png".into(),
        line: 3,
        media: Some("00112233445566778899aabbccddeeff.png".into()),
        file: Some("orders/tracking.png".into()),
        width: Some(640),
        height: Some(360),
    }];
    let hosts = vec!["https://cdn.example.com".to_string()];
    let context = ImageContext {
        images: &images,
        media_prefix: "/media/",
        hosts: &hosts,
    };
    let body = concat!(
        "![配送状況の\"画面\"](tracking.png \"説明\")\n\n",
        "![地図](https://cdn.example.com/map.png)\n\n",
        "![広告](https://ads.example.net/x.png)\n\n",
        "![消えた画像](gone.png)\n\n",
        "![外](https://cdn.example.com.evil.net/x.png)\n",
    );
    let html = render_page_html(body, &context);
    assert!(html.contains(r#"<img src="/media/00112233445566778899aabbccddeeff.png" alt="配送状況の&quot;画面&quot;" title="説明" width="640" height="360" loading="lazy" decoding="async">"#), "{html}");
    assert!(html.contains(r#"<img src="https://cdn.example.com/map.png" alt="地図" loading="lazy" decoding="async">"#), "{html}");
    assert!(
        html.contains(
            r#"<a href="https://ads.example.net/x.png" rel="noopener noreferrer">広告</a>"#
        ),
        "{html}"
    );
    assert!(html.contains("<p>消えた画像</p>"), "{html}");
    assert!(
        !html.contains("evil.net/x.png\" alt"),
        "a look-alike host is not allowed: {html}"
    );
    assert_eq!(html.matches("<img").count(), 2, "{html}");
    // Without a context (the plain renderer), no image loads.
    assert!(!crate::content::markdown::render_html(body).contains("<img"));
}

#[test]
fn image_hosts_are_https_origins_only() {
    for ok in [
        "https://cdn.example.com",
        "https://cdn.example.com/",
        "https://img.example.jp:8443",
    ] {
        assert!(is_valid_image_host(ok), "{ok}");
    }
    for bad in [
        "http://cdn.example.com",
        "https://",
        "https://cdn.example.com/path",
        "https://a.com; script-src *",
        "*",
        "https://a.com:x",
        "cdn.example.com",
    ] {
        assert!(!is_valid_image_host(bad), "{bad}");
    }
}
