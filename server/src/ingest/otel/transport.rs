//! The HTTP envelope of an export (§4.1): which wire format the body is in, and undoing its
//! `Content-Encoding`. Langfuse matches content types by substring (`application/json; charset=utf-8`
//! and the like are common), so we do too. Decompression is bounded by [`MAX_DECODED_BYTES`]: a
//! few kilobytes of gzip can inflate to gigabytes, and we stop reading one byte past the cap.

use std::io::Read;

use bytes::Bytes;
use flate2::read::MultiGzDecoder;

use super::{OtelRequestError, MAX_DECODED_BYTES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Protobuf,
    Json,
}

pub fn format(content_type: Option<&str>) -> Result<Format, OtelRequestError> {
    let lowered = content_type.map(str::to_ascii_lowercase);
    match lowered.as_deref() {
        Some(ct) if ct.contains("application/x-protobuf") => Ok(Format::Protobuf),
        Some(ct) if ct.contains("application/json") => Ok(Format::Json),
        _ => Err(OtelRequestError::UnsupportedContentType(content_type.map(str::to_owned))),
    }
}

/// Returns the body as the exporter serialized it. `identity` (or no header) passes the bytes
/// through untouched; `gzip`/`x-gzip` is inflated; anything else is refused, since decoding
/// deflate or brotli bytes as protobuf would only produce a confusing parse error.
pub fn decompress(body: Bytes, content_encoding: Option<&str>) -> Result<Bytes, OtelRequestError> {
    let mut gzip = false;
    for coding in content_encoding.unwrap_or("").split(',').map(str::trim).filter(|c| !c.is_empty()) {
        if coding.eq_ignore_ascii_case("identity") {
            continue;
        }
        if (coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip")) && !gzip {
            gzip = true;
            continue;
        }
        return Err(OtelRequestError::UnsupportedEncoding(content_encoding.unwrap_or("").to_string()));
    }
    if !gzip {
        if body.len() > MAX_DECODED_BYTES {
            return Err(OtelRequestError::TooLarge);
        }
        return Ok(body);
    }
    gunzip(&body).map(Bytes::from)
}

fn gunzip(compressed: &[u8]) -> Result<Vec<u8>, OtelRequestError> {
    if compressed.is_empty() {
        return Err(OtelRequestError::BadGzip("the body is empty, but Content-Encoding says gzip".into()));
    }
    // Typical OTLP payloads compress 3-10x; the hint only saves reallocations.
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).min(MAX_DECODED_BYTES));
    let cap = MAX_DECODED_BYTES as u64 + 1;
    MultiGzDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| OtelRequestError::BadGzip(e.to_string()))?;
    if out.len() > MAX_DECODED_BYTES {
        return Err(OtelRequestError::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::super::fixtures::gzip;
    use super::*;

    #[test]
    fn content_type_is_matched_by_substring_and_case_insensitively() {
        assert_eq!(format(Some("application/x-protobuf")), Ok(Format::Protobuf));
        assert_eq!(format(Some("Application/JSON; charset=utf-8")), Ok(Format::Json));
        assert_eq!(format(Some("application/x-protobuf; proto=v1")), Ok(Format::Protobuf));
    }

    #[test]
    fn other_or_missing_content_types_are_refused() {
        assert_eq!(format(None), Err(OtelRequestError::UnsupportedContentType(None)));
        assert_eq!(
            format(Some("text/plain")),
            Err(OtelRequestError::UnsupportedContentType(Some("text/plain".into())))
        );
        // Not the OTLP media type, even if it is protobuf.
        assert!(format(Some("application/grpc")).is_err());
    }

    #[test]
    fn identity_passes_through() {
        let body = Bytes::from_static(b"abc");
        assert_eq!(decompress(body.clone(), None).unwrap(), body);
        assert_eq!(decompress(body.clone(), Some("")).unwrap(), body);
        assert_eq!(decompress(body.clone(), Some("identity")).unwrap(), body);
    }

    #[test]
    fn gzip_is_inflated() {
        let body = Bytes::from(gzip(b"hello otlp"));
        assert_eq!(&decompress(body.clone(), Some("gzip")).unwrap()[..], b"hello otlp");
        assert_eq!(&decompress(body.clone(), Some("X-GZIP")).unwrap()[..], b"hello otlp");
        assert_eq!(&decompress(body, Some("gzip, identity")).unwrap()[..], b"hello otlp");
    }

    #[test]
    fn bad_gzip_names_the_problem() {
        let err = decompress(Bytes::from_static(b"not gzip at all"), Some("gzip")).unwrap_err();
        assert!(matches!(err, OtelRequestError::BadGzip(_)), "{err:?}");
        let err = decompress(Bytes::new(), Some("gzip")).unwrap_err();
        assert_eq!(err, OtelRequestError::BadGzip("the body is empty, but Content-Encoding says gzip".into()));
        // Truncated stream: a valid header, then nothing.
        let mut truncated = gzip(b"some longer payload that will be cut short");
        truncated.truncate(15);
        assert!(matches!(decompress(Bytes::from(truncated), Some("gzip")), Err(OtelRequestError::BadGzip(_))));
    }

    #[test]
    fn other_encodings_are_refused() {
        for encoding in ["br", "deflate", "zstd", "gzip, br", "gzip, gzip"] {
            assert_eq!(
                decompress(Bytes::from_static(b"x"), Some(encoding)),
                Err(OtelRequestError::UnsupportedEncoding(encoding.into())),
                "{encoding}"
            );
        }
    }

    #[test]
    fn gzip_bombs_stop_at_the_cap() {
        // 64 MiB + 1 of zeros compresses to ~65 KB.
        let bomb = {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
            let chunk = vec![0u8; 1024 * 1024];
            for _ in 0..64 {
                encoder.write_all(&chunk).unwrap();
            }
            encoder.write_all(&[0]).unwrap();
            encoder.finish().unwrap()
        };
        assert!(bomb.len() < 200 * 1024);
        assert_eq!(decompress(Bytes::from(bomb), Some("gzip")), Err(OtelRequestError::TooLarge));
    }

    #[test]
    fn exactly_the_cap_is_accepted() {
        let body = {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(&vec![b'a'; MAX_DECODED_BYTES]).unwrap();
            encoder.finish().unwrap()
        };
        assert_eq!(decompress(Bytes::from(body), Some("gzip")).unwrap().len(), MAX_DECODED_BYTES);
    }
}
