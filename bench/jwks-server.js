'use strict';
// A minimal OpenID issuer for the benchmark: discovery document and JWKS, plus RS256 access tokens shaped like
// Keycloak's. Only what verification needs (the e2e suites use a real OpenID provider, oidc-provider).
const http = require('node:http');

async function startIssuer() {
  const { generateKeyPair, exportJWK, SignJWT } = await import('jose');
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-key', alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server = http.createServer((req, res) => {
    const json = (v) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (req.url.endsWith('/.well-known/openid-configuration')) {
      return json({
        issuer,
        jwks_uri: `${issuer}/protocol/openid-connect/certs`,
        token_endpoint: `${issuer}/protocol/openid-connect/token`,
        authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
      });
    }
    if (req.url.endsWith('/protocol/openid-connect/certs')) return json({ keys: [jwk] });
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${server.address().port}/realms/orthanc`;
  const accessToken = await new SignJWT({
    typ: 'Bearer',
    azp: 'orthanc',
    preferred_username: 'doctor',
    name: 'Doctor Who',
    realm_access: { roles: ['doctor-role', 'offline_access'] },
    groups: ['/radiology'],
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'bench-key' })
    .setIssuer(issuer)
    .setAudience('account')
    .setSubject('0b6c8a5e-bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  return { issuer, accessToken, close: () => new Promise((r) => server.close(r)) };
}

module.exports = { startIssuer };
