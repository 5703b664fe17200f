# What an origin does with Cf-Access-Jwt-Assertion: fetch the gateway's public keys from
# /cdn-cgi/access/certs with PyJWT's PyJWKClient and verify signature, audience, issuer and
# expiry. Usage: verify_jwt.py CERTS_URL AUD ISSUER < jwt ; prints the verified claims as JSON.
import json
import sys

import jwt

certs_url, audience, issuer = sys.argv[1:4]
token = sys.stdin.read().strip()
signing_key = jwt.PyJWKClient(certs_url, cache_keys=False).get_signing_key_from_jwt(token)
claims = jwt.decode(
    token,
    signing_key.key,
    algorithms=["RS256"],
    audience=audience,
    issuer=issuer,
    options={"require": ["exp", "iat", "iss", "aud"]},
)
print(json.dumps(claims))
