import { formRefusal, isCompactJws, isOpaqueToken } from './token-form';

const seg = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jws = (header: unknown) => `${seg(header)}.${seg({ sub: 'u' })}.c2ln`;
const ALGS = ['RS256', 'ES256', 'EdDSA'];

describe('token forms', () => {
  it('a strict compact JWS only: no padding, no other alphabet, no 4n+1 segment, no byte-order mark', () => {
    const t = jws({ alg: 'RS256' });
    expect(isCompactJws(t)).toBe(true);
    expect(isCompactJws(`${t}==`)).toBe(false);
    expect(isCompactJws(`${t}A`)).toBe(false);
    expect(isCompactJws(t.replace('.', '+.'))).toBe(false);
    expect(isCompactJws(`77u_${t}`)).toBe(false);
    expect(isCompactJws(`${seg({ alg: 'none' })}.${seg({})}.`)).toBe(false);
  });

  it('opaque: an RFC 6750 b64token of a sane length that is not a JWS', () => {
    expect(isOpaqueToken('2YotnFZFEjr1zCsicMWpAA')).toBe(true);
    expect(isOpaqueToken('a.b.c.d.e')).toBe(true); // a JWE: only the provider can read it
    expect(isOpaqueToken(jws({ alg: 'RS256' }))).toBe(false);
    expect(isOpaqueToken('has space')).toBe(false);
    // A JWS with empty segments added is not opaque: it must not reach introspection, which would skip the JWT rules.
    expect(isOpaqueToken(`${jws({ alg: 'RS256' })}.`)).toBe(false);
    expect(isOpaqueToken(`${jws({ alg: 'RS256' })}..`)).toBe(false);
    expect(isOpaqueToken('.abc')).toBe(false);
    expect(isOpaqueToken('x'.repeat(4097))).toBe(false);
  });

  it('names why a token is refused before verification, never quoting it', () => {
    const reasons = [
      `${seg({ alg: 'none' })}.${seg({})}.`,
      jws({ alg: 'HS256' }),
      jws({ alg: 'PS256' }),
      `${jws({ alg: 'RS256' })}==`,
      'opaque-token-value',
      'a.b.c.d.e',
    ].map((t) => {
      const r = formRefusal(t, ALGS, false);
      expect(`${r.claim} ${r.reason}`).not.toContain(t);
      return `${r.claim} ${r.reason}`;
    });
    expect(reasons).toEqual([
      'alg is none: an unsigned token',
      "alg is HS256: a shared-secret signature (a share token?), never a provider's",
      'alg is PS256, not among OIDC_ALGORITHMS',
      'form is not a strict compact JWS (padding, characters, length or byte-order mark)',
      'form is not a JWT: an opaque token; introspection is off (OIDC_INTROSPECTION_CLIENT_ID and OIDC_INTROSPECTION_CLIENT_SECRET)',
      'form is an encrypted JWT (JWE), which only the provider can read; introspection is off (OIDC_INTROSPECTION_CLIENT_ID and OIDC_INTROSPECTION_CLIENT_SECRET)',
    ]);
  });
});
