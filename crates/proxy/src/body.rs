//! The one body type, both ways: generated answers (denials, certificates), origin bodies
//! streamed through unchanged to the client, and the client's request body streamed to the
//! origin. An enum rather than a boxed trait object: a proxied request would otherwise box a
//! body each way.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::body::{Frame, SizeHint};

/// Any error a body can end with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of every response the gateway sends, and of every request it forwards.
#[derive(Debug)]
pub struct Body(Kind);

#[derive(Debug)]
enum Kind {
    /// All of it at once (`None` once sent, or when empty).
    Full(Option<Bytes>),
    /// An origin's response body.
    Streamed(Incoming),
    /// A client's request body: its errors are [`ClientBodyError`]s.
    FromClient(Incoming),
}

/// The client's request body broke off or was malformed while it was being forwarded.
#[derive(Debug)]
pub(crate) struct ClientBodyError(BoxError);

impl std::fmt::Display for ClientBodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the client's request body: {}", self.0)
    }
}

impl std::error::Error for ClientBodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

impl ClientBodyError {
    /// Whether `error`, or an error it was caused by, is the client's request body failing.
    pub(crate) fn caused(error: &(dyn std::error::Error + 'static)) -> bool {
        let mut cause = Some(error);
        while let Some(error) = cause {
            if error.is::<ClientBodyError>() {
                return true;
            }
            cause = error.source();
        }
        false
    }
}

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    let bytes = bytes.into();
    Body(Kind::Full((!bytes.is_empty()).then_some(bytes)))
}

pub(crate) fn empty() -> Body {
    Body(Kind::Full(None))
}

/// An origin's response body, toward the client.
pub(crate) fn streamed(incoming: Incoming) -> Body {
    Body(Kind::Streamed(incoming))
}

/// A client's request body, toward the origin (see [`ClientBodyError`]).
pub(crate) fn from_client(incoming: Incoming) -> Body {
    Body(Kind::FromClient(incoming))
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().0 {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes)))),
            Kind::Streamed(incoming) => {
                Pin::new(incoming).poll_frame(cx).map(|frame| frame.map(|f| f.map_err(BoxError::from)))
            }
            Kind::FromClient(incoming) => Pin::new(incoming)
                .poll_frame(cx)
                .map(|frame| frame.map(|f| f.map_err(|e| BoxError::from(ClientBodyError(e.into()))))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Streamed(incoming) | Kind::FromClient(incoming) => incoming.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Streamed(incoming) | Kind::FromClient(incoming) => incoming.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;
    use hyper::body::Body as _;

    use super::*;

    #[tokio::test]
    async fn full_and_empty_bodies_say_their_exact_length() {
        let body = full("ok");
        assert_eq!(body.size_hint().exact(), Some(2));
        assert!(!body.is_end_stream());
        assert_eq!(body.collect().await.unwrap().to_bytes(), "ok");
        for body in [empty(), full("")] {
            assert_eq!(body.size_hint().exact(), Some(0));
            assert!(body.is_end_stream());
        }
    }

    #[test]
    fn a_client_body_error_is_found_behind_the_errors_it_caused() {
        #[derive(Debug)]
        struct Outer(BoxError);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("outer")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(self.0.as_ref())
            }
        }
        assert!(!ClientBodyError::caused(&Outer("the origin went away".into())));
        let broken = Outer(ClientBodyError("a malformed chunk".into()).into());
        assert!(ClientBodyError::caused(&broken));
        assert!(ClientBodyError::caused(&Outer(Box::new(broken))));
    }
}
