//! Bytes → `ExportTraceServiceRequest`. Protobuf is decoded by `prost` with the generated types of
//! `opentelemetry-proto`; OTLP/JSON goes through the tolerant model in [`super::json`] and is
//! converted to the same types, so the mapping has one input shape. Both are then validated
//! ([`super::validate`]) before anything is mapped.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use super::transport::Format;
use super::{json, validate, OtelRequestError};

pub fn decode(body: &[u8], format: Format) -> Result<ExportTraceServiceRequest, OtelRequestError> {
    let request = match format {
        Format::Protobuf => ExportTraceServiceRequest::decode(body)
            .map_err(|e| OtelRequestError::Malformed(format!("protobuf: {e}")))?,
        Format::Json => json::decode(body)?,
    };
    validate::validate(&request)?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_bodies_are_empty_exports() {
        // A protobuf message with no fields set is zero bytes.
        assert_eq!(decode(b"", Format::Protobuf).unwrap().resource_spans.len(), 0);
        assert_eq!(decode(b"{}", Format::Json).unwrap().resource_spans.len(), 0);
        assert_eq!(decode(br#"{"resourceSpans":[]}"#, Format::Json).unwrap().resource_spans.len(), 0);
    }

    #[test]
    fn truncated_protobuf_is_malformed() {
        // Field 1 (resource_spans), length-delimited, claims 100 bytes but has 2.
        let err = decode(&[0x0a, 100, 0x0a, 0x00], Format::Protobuf).unwrap_err();
        let OtelRequestError::Malformed(message) = err else { panic!("{err:?}") };
        assert!(message.starts_with("protobuf: "), "{message}");
    }
}
