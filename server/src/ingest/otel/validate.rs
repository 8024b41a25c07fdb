//! Span id validation (§4.1), run on the decoded request before any span is mapped. Every span
//! needs a 16-byte trace id and an 8-byte span id; a parent span id is empty or 8 bytes. The first
//! violation rejects the whole export with its location, so a hand-rolled exporter can be fixed
//! from the response alone. The usual culprit is an OTLP *logs* export sent here: log records share
//! field numbers with spans and decode into id-less "spans".

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use super::OtelRequestError;

pub const TRACE_ID_BYTES: usize = 16;
pub const SPAN_ID_BYTES: usize = 8;

pub fn validate(request: &ExportTraceServiceRequest) -> Result<(), OtelRequestError> {
    for (r, resource_spans) in request.resource_spans.iter().enumerate() {
        for (s, scope_spans) in resource_spans.scope_spans.iter().enumerate() {
            for (i, span) in scope_spans.spans.iter().enumerate() {
                let at = || format!("resourceSpans[{r}].scopeSpans[{s}].spans[{i}]");
                check_id(&span.trace_id, "traceId", TRACE_ID_BYTES, false)
                    .and_then(|()| check_id(&span.span_id, "spanId", SPAN_ID_BYTES, false))
                    .and_then(|()| check_id(&span.parent_span_id, "parentSpanId", SPAN_ID_BYTES, true))
                    .map_err(|problem| OtelRequestError::Malformed(format!("{}: {problem}", at())))?;
            }
        }
    }
    Ok(())
}

fn check_id(id: &[u8], field: &str, expected: usize, optional: bool) -> Result<(), String> {
    if id.is_empty() {
        return if optional { Ok(()) } else { Err(format!("{field} missing")) };
    }
    if id.len() != expected {
        return Err(format!("{field} must be {expected} bytes ({} hex characters), got {} bytes", expected * 2, id.len()));
    }
    // An all-zero parent is how some exporters spell "no parent"; an all-zero own id is invalid.
    if !optional && id.iter().all(|b| *b == 0) {
        return Err(format!("{field} is all zeros, which OpenTelemetry defines as invalid"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

    use super::*;

    fn request(spans: Vec<Vec<Span>>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: spans.into_iter().map(|spans| ScopeSpans { spans, ..Default::default() }).collect(),
                ..Default::default()
            }],
        }
    }

    fn span(trace_id: &[u8], span_id: &[u8], parent: &[u8]) -> Span {
        Span { trace_id: trace_id.to_vec(), span_id: span_id.to_vec(), parent_span_id: parent.to_vec(), ..Default::default() }
    }

    fn message(result: Result<(), OtelRequestError>) -> String {
        match result {
            Err(OtelRequestError::Malformed(message)) => message,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    const T: [u8; 16] = [1; 16];
    const S: [u8; 8] = [2; 8];

    #[test]
    fn valid_spans_pass() {
        assert_eq!(validate(&request(vec![vec![span(&T, &S, &[]), span(&T, &S, &S), span(&T, &S, &[0; 8])]])), Ok(()));
    }

    #[test]
    fn missing_ids_are_located() {
        let ok = span(&T, &S, &[]);
        let req = request(vec![vec![ok.clone()], vec![ok.clone(), ok.clone(), ok, span(&[], &S, &[])]]);
        assert_eq!(message(validate(&req)), "resourceSpans[0].scopeSpans[1].spans[3]: traceId missing");
        assert_eq!(message(validate(&request(vec![vec![span(&T, &[], &[])]]))), "resourceSpans[0].scopeSpans[0].spans[0]: spanId missing");
    }

    #[test]
    fn wrong_lengths_are_refused() {
        assert_eq!(
            message(validate(&request(vec![vec![span(&T[..5], &S, &[])]]))),
            "resourceSpans[0].scopeSpans[0].spans[0]: traceId must be 16 bytes (32 hex characters), got 5 bytes"
        );
        assert_eq!(
            message(validate(&request(vec![vec![span(&T, &T, &[])]]))),
            "resourceSpans[0].scopeSpans[0].spans[0]: spanId must be 8 bytes (16 hex characters), got 16 bytes"
        );
        assert_eq!(
            message(validate(&request(vec![vec![span(&T, &S, &[7; 3])]]))),
            "resourceSpans[0].scopeSpans[0].spans[0]: parentSpanId must be 8 bytes (16 hex characters), got 3 bytes"
        );
    }

    #[test]
    fn all_zero_ids_are_invalid() {
        assert_eq!(
            message(validate(&request(vec![vec![span(&[0; 16], &S, &[])]]))),
            "resourceSpans[0].scopeSpans[0].spans[0]: traceId is all zeros, which OpenTelemetry defines as invalid"
        );
    }
}
