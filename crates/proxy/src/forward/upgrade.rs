//! WebSocket (and any HTTP/1.1 upgrade the origin accepts): once the origin answers 101, the
//! client gets the same 101 and, when both sides have switched, bytes are copied both ways
//! until either side closes.

use http::Response;
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

use super::headers;
use crate::body::{self, Body};

pub(super) fn splice(mut origin_response: Response<Incoming>, client_side: OnUpgrade) -> Response<Body> {
    let origin_side = hyper::upgrade::on(&mut origin_response);
    tokio::spawn(async move {
        let (client, origin) = match tokio::try_join!(client_side, origin_side) {
            Ok(pair) => pair,
            Err(error) => {
                tracing::debug!(%error, "upgrade did not complete");
                return;
            }
        };
        let mut client = TokioIo::new(client);
        let mut origin = TokioIo::new(origin);
        if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut origin).await {
            tracing::debug!(%error, "upgraded connection ended with an error");
        }
    });
    let (mut parts, _) = origin_response.into_parts();
    headers::clean_response(&mut parts.headers, true);
    Response::from_parts(parts, body::empty())
}
