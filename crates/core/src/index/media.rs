//! Which images does a generation carry, and who may see each?
//!
//! A build copies every image the pages use into the generation's `media/` folder, named by a
//! hash of its bytes (`<hash>.<ext>`, see [`crate::content::images`]), and lists them in
//! `media.json` with their size and whether a public page uses them. A generation is thus
//! self-contained: its images are published and swapped together with its pages. An image used
//! only by internal pages is not public: the service serves it to the console only.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::content::images::{is_media_name, media_name};
use crate::content::{Audience, Corpus};
use crate::error::{Error, Result};

/// The folder of a generation holding its images.
pub const MEDIA_DIR: &str = "media";
/// The list of a generation's images.
pub const MEDIA_FILE: &str = "media.json";

/// One image of a generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaEntry {
    /// `<hash>.<ext>`: its file name in `media/` and its URL's last part.
    pub name: String,
    pub bytes: u64,
    /// Whether a public page shows it (else only the manual does).
    pub public: bool,
}

/// An image to copy into a generation: from where (relative to the content folder), as what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub source: PathBuf,
    pub name: String,
    pub public: bool,
}

/// The images `corpus`'s pages use, each once (by name), public when a public page uses it.
pub fn plan(corpus: &Corpus) -> Vec<Planned> {
    let mut by_name: BTreeMap<&str, Planned> = BTreeMap::new();
    for page in &corpus.pages {
        let public = page.audience == Audience::Public;
        for image in &page.images {
            let (Some(name), Some(file)) = (&image.media, &image.file) else {
                continue;
            };
            by_name
                .entry(name)
                .and_modify(|p| p.public |= public)
                .or_insert_with(|| Planned {
                    source: file.clone(),
                    name: name.clone(),
                    public,
                });
        }
    }
    by_name.into_values().collect()
}

/// The images of an opened generation.
#[derive(Debug, Default)]
pub struct Media {
    dir: PathBuf,
    entries: HashMap<String, MediaEntry>,
}

impl Media {
    /// Read `media.json` of `generation` and check every file it lists: present, of its size,
    /// and holding the bytes its name is the hash of. A generation built before images were
    /// carried has none.
    pub fn open(generation: &Path) -> Result<Self> {
        let dir = generation.join(MEDIA_DIR);
        let file = generation.join(MEDIA_FILE);
        let text = match std::fs::read(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Media {
                    dir,
                    entries: HashMap::new(),
                });
            }
            Err(e) => return Err(Error::io(file, e)),
        };
        let bad = |message: String| Error::BadIndex {
            path: file.clone(),
            message,
        };
        let list: Vec<MediaEntry> =
            serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
        let mut entries = HashMap::with_capacity(list.len());
        for entry in list {
            if !is_media_name(&entry.name) {
                return Err(bad(format!("`{}` is not a media name", entry.name)));
            }
            let path = dir.join(&entry.name);
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let ext = entry.name.rsplit_once('.').map_or("", |(_, e)| e);
            if bytes.len() as u64 != entry.bytes || media_name(&bytes, ext) != entry.name {
                return Err(Error::BadIndex {
                    path,
                    message: "the image's bytes do not match its name".into(),
                });
            }
            entries.insert(entry.name.clone(), entry);
        }
        Ok(Media { dir, entries })
    }

    /// The image named `name` and its file, if the generation has it.
    pub fn get(&self, name: &str) -> Option<(&MediaEntry, PathBuf)> {
        self.entries.get(name).map(|e| (e, self.dir.join(&e.name)))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Page, PageImage};

    fn page(id: &str, audience: Audience, images: &[(&str, &str)]) -> Page {
        Page {
            id: id.into(),
            path: format!("{id}.md").into(),
            title: id.into(),
            category: None,
            tags: Vec::new(),
            audience,
            aliases: Vec::new(),
            related: Vec::new(),
            updated: None,
            review_by: None,
            featured: None,
            pinned_queries: Vec::new(),
            body: String::new(),
            body_line: 1,
            sections: Vec::new(),
            images: images
                .iter()
                .map(|(file, name)| PageImage {
                    src: file.to_string(),
                    line: 1,
                    media: Some(name.to_string()),
                    file: Some(file.into()),
                    width: None,
                    height: None,
                })
                .collect(),
        }
    }

    #[test]
    fn an_image_is_public_when_any_public_page_shows_it() {
        let corpus = Corpus {
            pages: vec![
                page(
                    "manual/a",
                    Audience::Internal,
                    &[("shared.png", "s.png"), ("staff.png", "t.png")],
                ),
                page("faq/b", Audience::Public, &[("shared.png", "s.png")]),
                page("faq/c", Audience::Public, &[]),
            ],
            ..Corpus::default()
        };
        let plan = plan(&corpus);
        assert_eq!(
            plan,
            [
                Planned {
                    source: "shared.png".into(),
                    name: "s.png".into(),
                    public: true
                },
                Planned {
                    source: "staff.png".into(),
                    name: "t.png".into(),
                    public: false
                },
            ]
        );
    }

    #[test]
    fn a_damaged_image_makes_the_generation_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = b"\x89PNG\r\n\x1a\nrest".to_vec();
        let name = media_name(&bytes, "png");
        std::fs::create_dir(dir.path().join(MEDIA_DIR)).unwrap();
        std::fs::write(dir.path().join(MEDIA_DIR).join(&name), &bytes).unwrap();
        let list = vec![MediaEntry {
            name: name.clone(),
            bytes: bytes.len() as u64,
            public: true,
        }];
        std::fs::write(
            dir.path().join(MEDIA_FILE),
            serde_json::to_vec(&list).unwrap(),
        )
        .unwrap();
        let media = Media::open(dir.path()).unwrap();
        assert_eq!(
            media.get(&name).map(|(e, p)| (e.public, p)),
            Some((true, dir.path().join(MEDIA_DIR).join(&name)))
        );
        assert!(media.get("00000000000000000000000000000000.png").is_none());

        // The same size, other bytes.
        std::fs::write(
            dir.path().join(MEDIA_DIR).join(&name),
            b"\x89PNG\r\n\x1a\nREST",
        )
        .unwrap();
        assert!(matches!(
            Media::open(dir.path()),
            Err(Error::BadIndex { .. })
        ));
        std::fs::remove_file(dir.path().join(MEDIA_DIR).join(&name)).unwrap();
        assert!(Media::open(dir.path()).is_err());
        // A generation without images.
        let empty = tempfile::tempdir().unwrap();
        assert!(Media::open(empty.path()).unwrap().is_empty());
    }
}
