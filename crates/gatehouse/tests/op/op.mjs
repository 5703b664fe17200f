// A real OpenID Provider for gatehouse's login tests: npm `oidc-provider` (OpenID-certified) on
// 127.0.0.1 and a free port, with one client and its development login form (any login name,
// any password). It prints `ready <issuer>` once it listens.
//
// Accounts: the login name is the account; its e-mail is `<name>@example.com` (or the name
// itself when it holds an `@`); names starting with `dev` are in the group `developers`; names
// starting with `unverified` have `email_verified: false`.
import crypto from 'node:crypto';
import http from 'node:http';
import { Provider } from 'oidc-provider';

// A signing key of this process only: two providers never share one (the library's built-in
// development key is the same everywhere).
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.OP_CLIENT_ID || 'gatehouse',
      client_secret: process.env.OP_CLIENT_SECRET || 'gatehouse-secret',
      redirect_uris: (process.env.OP_REDIRECT_URIS || 'http://gatehouse.localhost/cdn-cgi/access/callback').split(','),
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    // Otherwise email and groups appear only at userinfo, not in the ID token.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ['test-only-cookie-key'] },
    jwks: { keys: [signing] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: id.includes('@') ? id : `${id}@example.com`,
            email_verified: !id.startsWith('unverified'),
            name: id,
            groups: id.startsWith('dev') ? ['developers'] : [],
          };
        },
      };
    },
  });
  server.on('request', provider.callback());
  console.log(`ready ${issuer}`);
});
