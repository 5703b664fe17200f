//! Session JWT verification (`session::Sessions::verify`) of a JWT a client presents back, against
//! an application with a real RSA key and a JWT issued for it. The input is the presented JWT,
//! where `$H`, `$P` and `$S` stand for the header, payload and signature of the issued JWT, so
//! that a corpus can splice real parts with forged ones (`$H.<other claims>.$S`, an `alg: none`
//! header, …). Never panics, and only the issued JWT itself is ever accepted.
#![no_main]

use std::sync::OnceLock;

use gatehouse_domain::Timestamp;
use gatehouse_proxy::Denial;
use gatehouse_proxy::fuzzing::SessionFixture;
use libfuzzer_sys::fuzz_target;

fn fixture() -> &'static SessionFixture {
    static FIXTURE: OnceLock<SessionFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let fixture = SessionFixture::new(2048).unwrap_or_else(|e| panic!("fixture: {e}"));
        let issued = fixture.issued().to_owned();
        assert!(fixture.verify(&issued, fixture.now()).is_ok(), "the issued JWT verifies");
        let expired = Timestamp::from_unix(fixture.now().unix() + 3600);
        assert_eq!(fixture.verify(&issued, expired), Err(Denial::InvalidSession), "expired");
        fixture
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let fixture = fixture();
    let mut parts = fixture.issued().split('.');
    let (h, p, s) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let jwt = text.trim_end_matches('\n').replace("$H", h).replace("$P", p).replace("$S", s);
    for now in [fixture.now(), Timestamp::from_unix(fixture.now().unix() + 1800)] {
        match fixture.verify(&jwt, now) {
            Ok(client_id) => {
                assert_eq!(jwt, fixture.issued(), "accepted a JWT that was not issued");
                assert_eq!(client_id, "0123456789abcdef0123456789abcdef.access");
            }
            Err(denial) => assert_eq!(denial, Denial::InvalidSession),
        }
    }
});
