//! W3C trace context (`traceparent`) carried from the HTTP request through the alert
//! message to the investigation message, so one trace id follows an alert through the
//! fleet and appears in every log line about it.

/// A parsed or new trace context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lower-case hex digits.
    pub trace_id: String,
    /// 16 lower-case hex digits: this hop's span.
    pub span_id: String,
    /// Trace flags (`01` sampled).
    pub flags: String,
}

fn random_hex(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    loop {
        fastrand::fill(&mut raw);
        if raw.iter().any(|&b| b != 0) {
            return soc_core::alert::hex_lower(&raw);
        }
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && s.bytes().any(|b| b != b'0')
}

impl TraceContext {
    /// A new trace.
    pub fn new_root() -> Self {
        Self {
            trace_id: random_hex(16),
            span_id: random_hex(8),
            flags: "01".to_owned(),
        }
    }

    /// Parses a `traceparent` value (version 00); `None` when malformed.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let (version, trace_id, span_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != "00"
            || parts.next().is_some()
            || !is_hex(trace_id, 32)
            || !is_hex(span_id, 16)
            || flags.len() != 2
            || !flags.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return None;
        }
        Some(Self {
            trace_id: trace_id.to_owned(),
            span_id: span_id.to_owned(),
            flags: flags.to_ascii_lowercase(),
        })
    }

    /// The next hop in the same trace: same trace id, new span id.
    pub fn child(&self) -> Self {
        Self {
            trace_id: self.trace_id.clone(),
            span_id: random_hex(8),
            flags: self.flags.clone(),
        }
    }

    /// Continues `header` when it is valid, or starts a new trace.
    pub fn continue_or_new(header: Option<&str>) -> Self {
        header
            .and_then(Self::parse)
            .map_or_else(Self::new_root, |t| t.child())
    }

    /// The header value.
    pub fn header(&self) -> String {
        format!("00-{}-{}-{}", self.trace_id, self.span_id, self.flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_child() {
        let t = TraceContext::new_root();
        let p = TraceContext::parse(&t.header()).unwrap();
        assert_eq!(p, t);
        let c = t.child();
        assert_eq!(c.trace_id, t.trace_id);
        assert_ne!(c.span_id, t.span_id);
        assert!(
            TraceContext::parse("00-00000000000000000000000000000000-0000000000000001-01")
                .is_none()
        );
        assert!(TraceContext::parse("garbage").is_none());
        let cont = TraceContext::continue_or_new(Some(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ));
        assert_eq!(cont.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    }
}
