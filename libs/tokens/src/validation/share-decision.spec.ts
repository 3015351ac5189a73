import { decideShareAccess, ValidateQuery } from './share-decision';
import { ShareToken } from '../token-types';

const NOW = Date.UTC(2030, 0, 1);
const token = (over: Partial<ShareToken> = {}): ShareToken => ({
  id: null,
  shareId: null,
  type: 'stone-viewer-publication',
  expiresAt: null,
  expirationDate: null,
  validityDuration: null,
  protected: false,
  parentShareId: null,
  resources: [
    { dicomUid: 'U1', orthancId: 'O1', url: null, level: 'study' },
    { dicomUid: 'U2', orthancId: 'O2', url: null, level: 'study' },
  ],
  ...over,
});
const q = (over: Partial<ValidateQuery> = {}): ValidateQuery => ({
  dicomUid: 'U1',
  orthancId: 'O1',
  level: 'study',
  method: 'get',
  ...over,
});
const opts = { cacheSeconds: 60, now: NOW };

describe('decideShareAccess', () => {
  it('never grants a protected link, whatever it asks (it opens through the share page only)', () => {
    expect(decideShareAccess(token({ protected: true }), q(), { cacheSeconds: 60, now: NOW })).toEqual({
      granted: false,
      validity: 60,
      reason: 'protected',
    });
  });

  it("grants a read of one of the token's studies for the cache period", () => {
    expect(decideShareAccess(token(), q(), opts)).toEqual({ granted: true, validity: 60 });
  });
  it('grants on any of the ids the token holds (membership, not pairs), as the Python service does', () => {
    expect(decideShareAccess(token(), q({ dicomUid: 'U1', orthancId: 'O2' }), opts).granted).toBe(true);
  });
  it('grants a post (the plugin reports the DICOMweb plugin reads, its internal tools/find, as post)', () => {
    expect(decideShareAccess(token(), q({ method: 'post' }), opts)).toEqual({ granted: true, validity: 60 });
  });
  it.each(['put', 'delete'])('never grants a %s', (method) => {
    expect(decideShareAccess(token(), q({ method }), opts)).toMatchObject({ granted: false, reason: 'write-method' });
  });
  it.each(['put', 'delete', 'patch', 'GET', 'Post', ''])(
    'never grants %j, even when a (wrongly built) method set lists it',
    (method) => {
      const methods = new Set(['get', 'post', 'put', 'delete', 'patch', 'GET', 'Post', '']);
      expect(decideShareAccess(token(), q({ method }), { ...opts, methods })).toMatchObject({
        granted: false,
        reason: 'write-method',
      });
    },
  );
  it('narrowed to get (SHARE_TOKEN_METHODS=get), refuses a post and still grants a get', () => {
    const methods = new Set(['get']);
    expect(decideShareAccess(token(), q({ method: 'post' }), { ...opts, methods })).toMatchObject({
      granted: false,
      reason: 'write-method',
    });
    expect(decideShareAccess(token(), q(), { ...opts, methods }).granted).toBe(true);
  });
  it('never grants the system level', () => {
    expect(decideShareAccess(token(), q({ level: 'system' }), opts)).toMatchObject({
      granted: false,
      reason: 'system-level',
    });
  });
  it('refuses a request without ids, or with ids the token cannot check', () => {
    expect(decideShareAccess(token(), q({ dicomUid: '', orthancId: null }), opts).granted).toBe(false);
    const uidOnly = token({ resources: [{ dicomUid: 'U1', orthancId: null, url: null, level: 'study' }] });
    expect(decideShareAccess(uidOnly, q({ dicomUid: '', orthancId: 'O1' }), opts).granted).toBe(false);
    expect(decideShareAccess(uidOnly, q({ dicomUid: 'U1', orthancId: 'O9' }), opts).granted).toBe(true);
  });
  it('refuses another study, by either id', () => {
    expect(decideShareAccess(token(), q({ dicomUid: 'U3', orthancId: 'O3' }), opts).granted).toBe(false);
    expect(decideShareAccess(token(), q({ dicomUid: 'U1', orthancId: 'O3' }), opts).granted).toBe(false);
    expect(decideShareAccess(token(), q({ dicomUid: 'U3', orthancId: 'O1' }), opts).granted).toBe(false);
  });
  it('refuses a token without resources', () => {
    expect(decideShareAccess(token({ resources: [] }), q(), opts).granted).toBe(false);
  });
  it('checks the server id when one is configured', () => {
    expect(decideShareAccess(token(), q({ serverId: 'other' }), { ...opts, serverId: 'mine' }).granted).toBe(false);
    expect(decideShareAccess(token(), q({ serverId: null }), { ...opts, serverId: 'mine' }).granted).toBe(false);
    expect(decideShareAccess(token(), q({ serverId: 'mine' }), { ...opts, serverId: 'mine' }).granted).toBe(true);
  });
  it('refuses at and after the expiry, and never lets a grant outlive the token', () => {
    expect(decideShareAccess(token({ expiresAt: new Date(NOW) }), q(), opts)).toMatchObject({
      granted: false,
      reason: 'expired',
    });
    expect(decideShareAccess(token({ expiresAt: new Date(NOW + 10_500) }), q(), opts)).toEqual({
      granted: true,
      validity: 10,
    });
    expect(decideShareAccess(token({ expiresAt: new Date(NOW + 3_600_000) }), q(), opts)).toEqual({
      granted: true,
      validity: 60,
    });
  });
  it('refuses a validly signed token of an unknown type', () => {
    expect(decideShareAccess(token({ type: 'super-token' }), q(), opts)).toMatchObject({
      granted: false,
      reason: 'unknown-type',
    });
  });
});
