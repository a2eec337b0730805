//! Which page of a list of results is asked for (`page=N`), how many pages there are, and the
//! links between them. The help page and the console page the same way: the count they show is
//! the number of hits reachable through these links.

use crate::templates::{PageLink, Pager};

/// The `page` parameter: absent or empty is the first page; otherwise a whole number from 1,
/// written plainly. `Err` holds what to tell the reader.
pub fn parse(raw: Option<&str>) -> Result<usize, String> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(1);
    };
    raw.parse::<usize>()
        .ok()
        .filter(|n| *n >= 1 && raw.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            let shown: String = raw.chars().filter(|c| !c.is_control()).take(20).collect();
            format!("ページ番号「{shown}」は正しくありません。1 以上の整数で指定してください。")
        })
}

/// How many pages `total` hits fill at `per_page` a page (at least one).
pub fn page_count(total: usize, per_page: usize) -> usize {
    total.div_ceil(per_page.max(1)).max(1)
}

/// The links of a list of `last` pages seen at page `current`: 前へ, the first and last pages,
/// the two pages on either side of the current one, and 次へ. `None` for a single page.
pub fn pager(current: usize, last: usize, href: impl Fn(usize) -> String) -> Option<Pager> {
    if last <= 1 {
        return None;
    }
    let mut pages = Vec::new();
    let mut shown = 0;
    for n in 1..=last {
        let near = n == 1 || n == last || n.abs_diff(current) <= 2;
        if !near {
            continue;
        }
        if shown + 1 < n {
            pages.push(None);
        }
        pages.push(Some(PageLink {
            number: n,
            href: href(n),
            current: n == current,
        }));
        shown = n;
    }
    Some(Pager {
        prev: (current > 1).then(|| href((current - 1).min(last))),
        next: (current < last).then(|| href(current + 1)),
        pages,
        label: "検索結果のページ",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_are_whole_numbers_from_one() {
        assert_eq!(parse(None), Ok(1));
        assert_eq!(parse(Some("")), Ok(1));
        assert_eq!(parse(Some("3")), Ok(3));
        for bad in [
            "0",
            "-1",
            "+2",
            "2.5",
            "abc",
            "１",
            "99999999999999999999999",
        ] {
            let message = parse(Some(bad)).unwrap_err();
            assert!(message.contains("1 以上の整数"), "{bad}: {message}");
        }
    }

    #[test]
    fn pages_cover_every_hit() {
        assert_eq!(page_count(0, 20), 1);
        assert_eq!(page_count(20, 20), 1);
        assert_eq!(page_count(21, 20), 2);
        assert_eq!(page_count(77, 20), 4);
    }

    #[test]
    fn the_pager_shows_neighbours_ends_and_gaps() {
        let pager = pager(6, 12, |n| format!("?page={n}")).unwrap();
        let shown: Vec<String> = pager
            .pages
            .iter()
            .map(|p| {
                p.as_ref().map_or("…".to_string(), |p| {
                    if p.current {
                        format!("[{}]", p.number)
                    } else {
                        p.number.to_string()
                    }
                })
            })
            .collect();
        assert_eq!(shown, ["1", "…", "4", "5", "[6]", "7", "8", "…", "12"]);
        assert_eq!(pager.prev.as_deref(), Some("?page=5"));
        assert_eq!(pager.next.as_deref(), Some("?page=7"));
        let first = super::pager(1, 2, |n| n.to_string()).unwrap();
        assert_eq!((first.prev, first.next.as_deref()), (None, Some("2")));
        assert!(super::pager(1, 1, |n| n.to_string()).is_none());
    }
}
