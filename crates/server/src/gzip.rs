//! gzip for responses whose body is complete in memory (JSON, pages, assets), with the deflate
//! state kept per thread.
//!
//! tower-http's `CompressionLayer` (in [`crate::app`], around this layer) makes a new deflate
//! state for every response: about 270 KB allocated and zeroed, which on wiki-qa cost more
//! instructions than compressing the 8.5 KB answer itself. [`gzip`] answers the requests the
//! layer would compress with gzip, when the body is already complete, in one pass with a state
//! it resets instead, and sends the very bytes the layer sends (same level, same calls to
//! deflate, same header and trailer; tested below) with the same headers: `Content-Encoding`,
//! `Vary`, no `Content-Length` (the body goes out chunked, as the layer's does) nor
//! `Accept-Ranges`. The layer leaves a response with a `Content-Encoding` alone; whatever this
//! layer does not take (a streamed body, a client without gzip) the layer compresses as before.

use std::cell::RefCell;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Response, header};
use axum::middleware::Next;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use hyper::body::Frame;

/// The largest body compressed here; larger ones are left to tower-http's layer.
const MAX_BODY: u64 = 1 << 20;
/// tower-http's `SizeAbove::DEFAULT_MIN_SIZE`: smaller bodies are sent as they are.
const MIN_BODY: u64 = 32;
/// The gzip header async-compression writes at the fastest level (no name, no time, `XFL` 4,
/// OS unknown).
const HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x04, 0xff];
/// How much output async-compression lets deflate write at a time (tower-http reads 4 KB).
const STEP: usize = 4096;

thread_local! {
    /// A deflate state per thread, reset between responses.
    static DEFLATE: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// As a layer: gzip what tower-http's compression layer would gzip, when the body is complete.
/// (The service calls [`finish`] from its outermost layer of its own, [`crate::app`]'s `headers`.)
pub async fn gzip(request: Request, next: Next) -> Response<Body> {
    let wanted = prefers_gzip(request.headers());
    finish(wanted, next.run(request).await).await
}

/// `response` gzipped if the request `wanted` gzip ([`prefers_gzip`]) and tower-http's layer
/// would compress it, when its body is complete; else as it is.
pub async fn finish(wanted: bool, response: Response<Body>) -> Response<Body> {
    if !wanted || !compressible(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY as usize).await {
        Ok(bytes) => bytes,
        // The body failed: so does the answer, as it would have through tower-http's layer.
        Err(e) => return Response::from_parts(parts, Body::new(Failed(Some(e)))),
    };
    let Some(compressed) = compress(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let headers = &mut parts.headers;
    let varies = headers.get_all(header::VARY).iter().any(|v| contains_ignore_case(v.as_bytes(), b"accept-encoding"));
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    headers.remove(header::ACCEPT_RANGES);
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    Response::from_parts(parts, Body::new(Chunked(Some(Bytes::from(compressed)))))
}

/// Whether tower-http's layer (gzip only) would answer this request with gzip: among the
/// `Accept-Encoding` entries it understands (`gzip`, `x-gzip`, `identity`, any case; the others,
/// `*` included, are ignored, and so is an entry whose `q` it cannot read), the one of highest
/// quality above 0 is gzip, which also wins a tie with identity.
pub fn prefers_gzip(headers: &HeaderMap) -> bool {
    let mut best: Option<(u16, bool)> = None;
    let entries = headers.get_all(header::ACCEPT_ENCODING).into_iter().filter_map(|v| v.to_str().ok()).flat_map(|s| s.split(','));
    for entry in entries {
        let mut parts = entry.splitn(2, ';');
        let name = parts.next().unwrap_or_default().trim();
        let gzip = if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            true
        } else if name.eq_ignore_ascii_case("identity") {
            false
        } else {
            continue;
        };
        let q = match parts.next() {
            Some(q) => match qvalue(q.trim()) {
                Some(q) => q,
                None => continue,
            },
            None => 1000,
        };
        if q > 0 && best.is_none_or(|b| (q, gzip) >= b) {
            best = Some((q, gzip));
        }
    }
    best.is_some_and(|(_, gzip)| gzip)
}

/// A `q=` value in thousandths, read as tower-http reads it (`q=0`, `q=1`, `q=0.5`, at most
/// three decimals, at most 1).
fn qvalue(s: &str) -> Option<u16> {
    let mut c = s.chars();
    if !matches!(c.next(), Some('q' | 'Q')) || c.next() != Some('=') {
        return None;
    }
    let mut value: u16 = match c.next() {
        Some('0') => 0,
        Some('1') => 1000,
        _ => return None,
    };
    match c.next() {
        None => return Some(value),
        Some('.') => {}
        _ => return None,
    }
    let mut factor = 100;
    for d in c {
        let d = d.to_digit(10)? as u16;
        if factor < 1 {
            return None;
        }
        value += factor * d;
        factor /= 10;
    }
    (value <= 1000).then_some(value)
}

/// tower-http's default predicate for a body complete in memory: not yet encoded, not a range,
/// at least 32 bytes (and here at most [`MAX_BODY`]), not gRPC, not an image (SVG is text), not
/// an event stream.
fn compressible(response: &Response<Body>) -> bool {
    let headers = response.headers();
    if headers.contains_key(header::CONTENT_ENCODING) || headers.contains_key(header::CONTENT_RANGE) {
        return false;
    }
    let Some(size) = response.body().size_hint().exact() else {
        return false;
    };
    let cty = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let excluded = |prefix: &str, except: Option<&str>| cty.starts_with(prefix) && !except.is_some_and(|e| cty.starts_with(e));
    (MIN_BODY..=MAX_BODY).contains(&size)
        && !excluded("application/grpc", Some("application/grpc-web"))
        && !excluded("image/", Some("image/svg+xml"))
        && !excluded("text/event-stream", None)
}

/// `data` gzipped as async-compression gzips a body of one chunk at the fastest level: the
/// header, deflate fed the whole input without flushing and then finished, the CRC and length.
/// `None` if deflate fails (the layer then compresses it).
pub fn compress(data: &[u8]) -> Option<Vec<u8>> {
    let mut deflate = DEFLATE.with(|d| d.borrow_mut().take()).unwrap_or_else(|| Compress::new(Compression::fast(), false));
    let mut out = Vec::with_capacity(HEADER.len() + data.len() / 2 + 64);
    out.extend_from_slice(&HEADER);
    let done = deflate_into(&mut deflate, data, &mut out);
    deflate.reset();
    DEFLATE.with(|d| *d.borrow_mut() = Some(deflate));
    done?;
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    Some(out)
}

/// Deflate `data` into `out`, at most [`STEP`] bytes of output a call, as async-compression does.
fn deflate_into(deflate: &mut Compress, data: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut rest = data;
    while !rest.is_empty() {
        let before = deflate.total_in();
        step(deflate, rest, out, FlushCompress::None)?;
        rest = &rest[usize::try_from(deflate.total_in() - before).ok()?..];
    }
    while step(deflate, &[], out, FlushCompress::Finish)? != Status::StreamEnd {}
    Some(())
}

/// One call to deflate with at most [`STEP`] bytes of room for its output.
fn step(deflate: &mut Compress, input: &[u8], out: &mut Vec<u8>, flush: FlushCompress) -> Option<Status> {
    let mut buf = [0u8; STEP];
    let before = deflate.total_out();
    let status = deflate.compress(input, &mut buf, flush).ok()?;
    let written = usize::try_from(deflate.total_out() - before).ok()?;
    out.extend_from_slice(&buf[..written]);
    Some(status)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// A body of one chunk whose size is not announced, so that it goes out chunked as tower-http's
/// compressed bodies do.
struct Chunked(Option<Bytes>);

impl HttpBody for Chunked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.take().map(|b| Ok(Frame::data(b))))
    }
}

/// A body that fails with the error of the body it replaces.
struct Failed(Option<axum::Error>);

impl HttpBody for Failed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Poll::Ready(self.0.take().map(Err))
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    use tower_http::compression::CompressionLayer;

    use super::*;

    /// Text that compresses like a search's answer: Japanese and JSON punctuation, varied.
    fn text(len: usize, seed: u64) -> String {
        let words = ["返品", "の方法", "を教えてください", r#"","snippet":"…"#, "アカウント", "<mark>", "</mark>", "設定", "12345", "\\n"];
        let mut x = seed;
        let mut s = String::new();
        while s.len() < len {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            s.push_str(words[(x >> 33) as usize % words.len()]);
            if (x >> 20).is_multiple_of(7) {
                s.push(char::from_u32(0x4e00 + ((x >> 40) % 2000) as u32).unwrap());
            }
        }
        s
    }

    /// Which layers answer: tower-http's alone, ours alone, or ours inside tower-http's (the
    /// service's stack).
    #[derive(Debug, Clone, Copy)]
    enum Layers {
        Theirs,
        Ours,
        Both,
    }

    fn router(body: String, content_type: &'static str, layers: Layers) -> Router {
        let router = Router::new().route("/", get(move || async move { ([(header::CONTENT_TYPE, content_type)], body) }));
        let tower = CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest);
        match layers {
            Layers::Theirs => router.layer(tower),
            Layers::Ours => router.layer(axum::middleware::from_fn(gzip)),
            Layers::Both => router.layer(axum::middleware::from_fn(gzip)).layer(tower),
        }
    }

    async fn answer(router: Router, accept: &[&str]) -> (StatusCode, HeaderMap, Option<u64>, Bytes) {
        let mut request = Request::get("/");
        for a in accept {
            request = request.header(header::ACCEPT_ENCODING, *a);
        }
        let response = router.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        let exact = body.size_hint().exact();
        (parts.status, parts.headers, exact, body.collect().await.unwrap().to_bytes())
    }

    #[tokio::test]
    async fn the_same_bytes_and_headers_as_tower_http() {
        let accepts: &[&[&str]] = &[
            &[],
            &["gzip"],
            &["gzip, compress, deflate, br"],
            &["x-gzip"],
            &["GZIP;Q=0.5"],
            &["gzip;q=0"],
            &["identity;q=1, gzip;q=0.5"],
            &["gzip;q=0.5, identity;q=0.5"],
            &["br"],
            &["*"],
            &["gzip;q=1.5"],
            &["gzip;q=0.1234"],
            &["deflate, gzip;q=0.001"],
            &["identity", "gzip"],
            &["gzip;q=0", "x-gzip;q=0.2"],
        ];
        let bodies = [
            ("application/json", text(8_500, 1)),
            ("application/json", text(150_000, 2)),
            ("text/html; charset=utf-8", text(40_000, 3)),
            ("text/plain; charset=utf-8", "x".repeat(31)),
            ("text/plain; charset=utf-8", "x".repeat(32)),
            ("image/png", text(5_000, 4)),
            ("image/svg+xml", text(5_000, 5)),
            ("text/event-stream", text(5_000, 6)),
            ("application/grpc", text(5_000, 7)),
            ("application/grpc-web", text(5_000, 8)),
        ];
        let mut gzipped = 0;
        for (content_type, body) in &bodies {
            for accept in accepts {
                let theirs = answer(router(body.clone(), content_type, Layers::Theirs), accept).await;
                let both = answer(router(body.clone(), content_type, Layers::Both), accept).await;
                assert_eq!(both, theirs, "{content_type}, {} bytes, Accept-Encoding {accept:?}", body.len());
                // Every body here is complete: what tower-http gzips, ours alone gzips the same.
                if theirs.1.contains_key(header::CONTENT_ENCODING) {
                    let ours = answer(router(body.clone(), content_type, Layers::Ours), accept).await;
                    assert_eq!(ours, theirs, "ours alone: {content_type}, {} bytes, Accept-Encoding {accept:?}", body.len());
                    gzipped += 1;
                }
            }
        }
        assert_eq!(gzipped, 6 * 8, "6 bodies to gzip, 8 ways of asking for gzip");
    }

    #[test]
    fn prefers_gzip_as_tower_http() {
        let headers = |values: &[&str]| {
            let mut h = HeaderMap::new();
            for v in values {
                h.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            }
            h
        };
        assert!(prefers_gzip(&headers(&["gzip"])));
        assert!(prefers_gzip(&headers(&["identity;q=0.5, gzip;q=0.5"])), "gzip wins a tie");
        assert!(!prefers_gzip(&headers(&["identity;q=0.6, gzip;q=0.5"])));
        assert!(!prefers_gzip(&headers(&["gzip;q=0"])));
        assert!(!prefers_gzip(&headers(&["*"])));
        assert!(!prefers_gzip(&headers(&["gzip;q=2"])), "an unreadable q drops the entry");
        assert!(prefers_gzip(&headers(&["gzip;q=0.001"])));
        assert!(!prefers_gzip(&headers(&[])));
    }
}
