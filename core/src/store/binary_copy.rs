//! Rows in Postgres's binary `COPY` format (`COPY … FROM STDIN (FORMAT binary)`), for the
//! ingestion writer's fast path (issue #23).
//!
//! Why `COPY` at all: a `COPY` into a table without row triggers inserts its rows in batches
//! (`heap_multi_insert`: one WAL record per page of rows instead of one per row) and needs no
//! executor for a `SELECT … FROM UNNEST` of thirty parameter arrays. Why binary: the values go as
//! Postgres stores them (no text parsing of timestamps and numbers), and `jsonb`'s binary form is
//! its JSON text after a version byte, so nothing needs escaping.
//!
//! Why written here rather than taken from a crate: the format is three rules (a header, per row
//! a field count and length-prefixed fields, a trailer), and the crates that write it are tied to
//! another driver (`tokio-postgres`'s `BinaryCopyInWriter`); sqlx sends the bytes
//! (`PgConnection::copy_in_raw`). Each column's type must be the table's exactly: a mismatch is
//! an error from Postgres, never a wrong value.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Microseconds from the Unix epoch to Postgres's (2000-01-01T00:00:00Z).
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A `COPY` body being written, row by row.
pub struct BinaryCopy {
    buf: Vec<u8>,
}

impl BinaryCopy {
    /// An empty body (the header written), with room for about `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity + 21);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes()); // flags: no OIDs
        buf.extend_from_slice(&0i32.to_be_bytes()); // no header extension
        BinaryCopy { buf }
    }

    /// Starts a row of `fields` fields (the caller writes exactly that many).
    pub fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    /// A field of `len` bytes written by `write` (the length is filled in afterwards).
    fn field(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let at = self.buf.len();
        self.buf.extend_from_slice(&0i32.to_be_bytes());
        write(&mut self.buf);
        let len = (self.buf.len() - at - 4) as i32;
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }

    /// `text`.
    pub fn text(&mut self, value: Option<&str>) {
        match value {
            Some(s) => self.field(|buf| buf.extend_from_slice(s.as_bytes())),
            None => self.null(),
        }
    }

    /// `bytea`.
    pub fn bytea(&mut self, value: Option<&[u8]>) {
        match value {
            Some(bytes) => self.field(|buf| buf.extend_from_slice(bytes)),
            None => self.null(),
        }
    }

    /// `timestamptz`: microseconds since 2000-01-01 UTC (Postgres keeps microseconds; finer
    /// digits are dropped, as sqlx's own binding of a `DateTime` drops them).
    pub fn timestamptz(&mut self, value: Option<DateTime<Utc>>) {
        match value {
            Some(t) => {
                let micros = t.timestamp_micros() - POSTGRES_EPOCH_MICROS;
                self.field(|buf| buf.extend_from_slice(&micros.to_be_bytes()));
            }
            None => self.null(),
        }
    }

    /// `jsonb`: version 1, then the JSON text.
    pub fn jsonb(&mut self, value: Option<&Value>) {
        self.json_text(value, &[1]);
    }

    /// `json`: the JSON text as it is (observations' input and output, migration 20261216000001).
    pub fn json(&mut self, value: Option<&Value>) {
        self.json_text(value, &[]);
    }

    /// The JSON text after `prefix` (the binary form's version byte, if the type has one).
    fn json_text(&mut self, value: Option<&Value>, prefix: &[u8]) {
        match value {
            Some(v) => self.field(|buf| {
                buf.extend_from_slice(prefix);
                // Writing a `Value` into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *buf, v);
            }),
            None => self.null(),
        }
    }

    /// `double precision`.
    pub fn float8(&mut self, value: Option<f64>) {
        match value {
            Some(v) => self.field(|buf| buf.extend_from_slice(&v.to_bits().to_be_bytes())),
            None => self.null(),
        }
    }

    /// `integer`.
    pub fn int4(&mut self, value: Option<i32>) {
        match value {
            Some(v) => self.field(|buf| buf.extend_from_slice(&v.to_be_bytes())),
            None => self.null(),
        }
    }

    /// The body, trailer included.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_its_field_count_then_length_prefixed_fields() {
        let mut copy = BinaryCopy::with_capacity(0);
        copy.row(3);
        copy.text(Some("ab"));
        copy.text(None);
        copy.int4(Some(7));
        let body = copy.finish();
        let header = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
        assert_eq!(&body[..header.len()], header);
        let row = &body[header.len()..];
        assert_eq!(row, &[0, 3, 0, 0, 0, 2, b'a', b'b', 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 4, 0, 0, 0, 7, 0xff, 0xff]);
    }

    #[test]
    fn timestamps_count_from_postgres_epoch_and_jsonb_has_its_version() {
        let mut copy = BinaryCopy::with_capacity(0);
        copy.timestamptz(Some("2000-01-01T00:00:01.5Z".parse().unwrap()));
        copy.jsonb(Some(&serde_json::json!({"a": 1})));
        let body = copy.finish();
        let fields = &body[19..body.len() - 2];
        assert_eq!(&fields[..12], &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0x16, 0xe3, 0x60]);
        assert_eq!(&fields[12..], b"\0\0\0\x08\x01{\"a\":1}");
    }

    #[test]
    fn json_is_its_text_alone() {
        let mut copy = BinaryCopy::with_capacity(0);
        copy.json(Some(&serde_json::json!({"b": 1, "a": "x"})));
        copy.json(None);
        let body = copy.finish();
        assert_eq!(&body[19..body.len() - 2], b"\0\0\0\x0f{\"b\":1,\"a\":\"x\"}\xff\xff\xff\xff");
    }
}
