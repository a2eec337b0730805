//! Which images does a page show, and can they be shown?
//!
//! A page's Markdown images (`![alt](src)`) are resolved when the content is loaded:
//! - `tracking.png` or `img/tracking.png`: a file beside the page; `/assets/tracking.png`: a
//!   file from the content folder's root. Either must stay inside the content folder.
//! - `https://...`: an external image, shown only when the service's `image_hosts` lists its
//!   host ([`unlisted_hosts`] warns about the others, which are shown as links).
//!
//! An image of the content folder must exist, be a PNG, JPEG, GIF or WebP file (by its bytes,
//! matching its extension) and weigh at most [`MAX_IMAGE_BYTES`]. SVG is refused: an SVG file can
//! carry scripts, which would run in the help center's origin if the file were opened. Each
//! image is named by a hash of its bytes ([`media_name`]); the index generation carries the file
//! under that name and the service serves it at `/media/<name>`, cached for good.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use blake2::Digest;

use super::diagnostic::Diagnostic;
use super::markdown::{self, Image};
use super::model::{Page, PageImage};

/// The largest image file accepted: 1 MiB (a screenshot saved as PNG, JPEG or WebP fits).
pub const MAX_IMAGE_BYTES: u64 = 1024 * 1024;

/// The image types accepted, by extension: (extension as written, the media extension, the
/// type read from the file's first bytes).
const TYPES: &[(&str, &str, imagesize::ImageType)] = &[
    ("png", "png", imagesize::ImageType::Png),
    ("jpg", "jpg", imagesize::ImageType::Jpeg),
    ("jpeg", "jpg", imagesize::ImageType::Jpeg),
    ("gif", "gif", imagesize::ImageType::Gif),
    ("webp", "webp", imagesize::ImageType::Webp),
];

/// The `Content-Type` of a media name's extension, for the four types accepted.
pub fn content_type(name: &str) -> Option<&'static str> {
    match name.rsplit_once('.')?.1 {
        "png" => Some("image/png"),
        "jpg" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

/// The media name of an image's bytes: 32 hex digits of its BLAKE2b hash (128 bits, which
/// nobody guesses) and its media extension.
pub fn media_name(bytes: &[u8], ext: &str) -> String {
    let hash = blake2::Blake2b::<blake2::digest::consts::U16>::digest(bytes);
    let mut name = String::with_capacity(37);
    for b in hash {
        name.push_str(&format!("{b:02x}"));
    }
    name.push('.');
    name.push_str(ext);
    name
}

/// Whether `name` has the shape of a media name (`<32 hex digits>.<png|jpg|gif|webp>`).
pub fn is_media_name(name: &str) -> bool {
    name.split_once('.').is_some_and(|(hash, ext)| {
        hash.len() == 32
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && content_type(&format!(".{ext}")).is_some()
    })
}

/// Whether `host` may be listed in `image_hosts`: an `https://` origin (a host name and an
/// optional port, nothing else), as the CSP's `img-src` takes it.
pub fn is_valid_image_host(host: &str) -> bool {
    let Some(rest) = host.strip_prefix("https://") else {
        return false;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (name, port) = rest.split_once(':').unwrap_or((rest, "80"));
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !name.starts_with(['.', '-'])
        && !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
}

/// Images already read during one load, by file (relative to the content folder): a file many
/// pages show is read and hashed once.
#[derive(Debug, Default)]
pub(crate) struct Cache(Mutex<HashMap<PathBuf, PageImage>>);

/// Resolve the images found in the page at `path` (`relative` to the content folder `root`),
/// reporting every problem: missing or unreadable files, other types, files over the limit,
/// files outside the content folder, missing alt text (a warning).
pub(crate) fn resolve(
    root: &Path,
    path: &Path,
    relative: &Path,
    found: &[Image],
    cache: &Cache,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<PageImage> {
    let mut images = Vec::new();
    for image in found {
        let src = image.dest.trim();
        if image.alt.is_empty() {
            diagnostics.push(Diagnostic::warning(path, image.line, format!(
                "image `{src}` has no alt text: describe it between `![` and `]` for people who cannot see it"
            )));
        }
        if markdown::is_external(src) {
            images.push(PageImage {
                src: image.dest.clone(),
                line: image.line,
                media: None,
                file: None,
                width: None,
                height: None,
            });
            continue;
        }
        match read_local(root, relative, src, cache) {
            Ok(local) => images.push(PageImage {
                src: image.dest.clone(),
                line: image.line,
                ..local
            }),
            Err(message) => diagnostics.push(Diagnostic::error(path, image.line, message)),
        }
    }
    images
}

/// Warnings for the external images of `pages` whose host `hosts` does not list: they are
/// shown as links, since the CSP lets only the listed hosts' images load.
pub fn unlisted_hosts(root: &Path, pages: &[Page], hosts: &[String]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for page in pages {
        for image in page
            .images
            .iter()
            .filter(|i| i.media.is_none() && !markdown::host_allowed(&i.src, hosts))
        {
            let origin: String = image
                .src
                .splitn(4, '/')
                .take(3)
                .collect::<Vec<_>>()
                .join("/");
            out.push(Diagnostic::warning(root.join(&page.path), image.line, format!(
                "image `{}` is from `{origin}`, which `image_hosts` in the service's config does not list: it is shown as a link",
                image.src
            )));
        }
    }
    out
}

/// An image of the content folder, read and checked; or what is wrong with it.
fn read_local(root: &Path, relative: &Path, src: &str, cache: &Cache) -> Result<PageImage, String> {
    if src.is_empty() {
        return Err("an image without an address: write `![what it shows](file.png)`".into());
    }
    if src.starts_with("//")
        || src
            .split(['/', '?', '#'])
            .next()
            .is_some_and(|s| s.contains(':'))
    {
        return Err(format!(
            "image `{src}`: use a file under the content folder (like `screen.png` or `/assets/screen.png`) or an `https://` address"
        ));
    }
    let written = src.split(['?', '#']).next().unwrap_or(src);
    let decoded = percent_decode(written).ok_or_else(|| {
        format!("image `{src}`: the address is not valid UTF-8 once `%` escapes are read")
    })?;
    let file = locate(relative, &decoded).ok_or_else(|| {
        format!("image `{src}` is outside the content folder: put images under it")
    })?;
    let shown = file.to_string_lossy().replace('\\', "/");
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "svg" {
        return Err(format!(
            "image `{src}`: SVG is not accepted (an SVG file can carry scripts): save it as PNG or WebP"
        ));
    }
    let Some((_, media_ext, kind)) = TYPES.iter().find(|(e, _, _)| *e == ext) else {
        return Err(format!(
            "image `{src}`: use a PNG, JPEG, GIF or WebP file (`.png`, `.jpg`, `.gif`, `.webp`)"
        ));
    };
    if let Some(known) = cache.0.lock().unwrap_or_else(|e| e.into_inner()).get(&file) {
        return Ok(known.clone());
    }
    let full = root.join(&file);
    let meta = match std::fs::metadata(&full) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "image file `{src}` not found (looked for {shown} in the content folder)"
            ));
        }
        Err(e) => return Err(format!("cannot read image file `{src}`: {e}")),
    };
    if !meta.is_file() {
        return Err(format!("image `{src}` is a folder, not a file"));
    }
    // A link may lead out of the content folder.
    let inside = match (full.canonicalize(), root.canonicalize()) {
        (Ok(f), Ok(r)) => f.starts_with(r),
        _ => false,
    };
    if !inside {
        return Err(format!(
            "image `{src}` is outside the content folder: put images under it"
        ));
    }
    if meta.len() > MAX_IMAGE_BYTES {
        return Err(format!(
            "image `{src}` is {:.1} MB, over the {} MB limit: make it smaller (a JPEG or WebP file is often much smaller)",
            meta.len() as f64 / 1_048_576.0,
            MAX_IMAGE_BYTES / 1_048_576
        ));
    }
    let bytes = std::fs::read(&full).map_err(|e| format!("cannot read image file `{src}`: {e}"))?;
    let found = imagesize::image_type(&bytes).ok();
    if found != Some(*kind) {
        let what = match found {
            Some(imagesize::ImageType::Png) => "it holds a PNG image: name it `.png`".to_string(),
            Some(imagesize::ImageType::Jpeg) => "it holds a JPEG image: name it `.jpg`".to_string(),
            Some(imagesize::ImageType::Gif) => "it holds a GIF image: name it `.gif`".to_string(),
            Some(imagesize::ImageType::Webp) => {
                "it holds a WebP image: name it `.webp`".to_string()
            }
            _ => "it is not an image file of that type (or it is damaged)".to_string(),
        };
        return Err(format!(
            "image `{src}` is not a {} file: {what}",
            ext.to_ascii_uppercase()
        ));
    }
    let size = imagesize::blob_size(&bytes).ok();
    let image = PageImage {
        src: src.to_string(),
        line: 0,
        media: Some(media_name(&bytes, media_ext)),
        file: Some(file.clone()),
        width: size
            .and_then(|s| u32::try_from(s.width).ok())
            .filter(|w| *w > 0),
        height: size
            .and_then(|s| u32::try_from(s.height).ok())
            .filter(|h| *h > 0),
    };
    cache
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(file, image.clone());
    Ok(image)
}

/// The file an image address names, relative to the content folder: from the folder's root
/// for `/...`, else from the page's folder; `None` when it leads out of the folder.
fn locate(page: &Path, src: &str) -> Option<PathBuf> {
    let (mut out, rest) = match src.strip_prefix('/') {
        Some(rest) => (PathBuf::new(), rest),
        None => (
            page.parent().map(Path::to_path_buf).unwrap_or_default(),
            src,
        ),
    };
    for part in Path::new(rest).components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// `%XX` escapes read (a file name with spaces is written `my%20screen.png`).
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[path = "images_tests.rs"]
mod tests;
