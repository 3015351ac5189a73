import { configError } from '../../../test/support/config-error';
import { loadTokensConfig } from './tokens.config';
import { LinkBuilder } from './links/link-builder';

const env = (e: Record<string, string> = {}) => ({ SECRETS_DIR: '/nonexistent-secrets', ...e });

describe('loadTokensConfig: SHARE_TOKEN_METHODS', () => {
  it('grants share tokens get and post by default (the plugin reports DICOMweb reads as post); empty is unset', () => {
    expect(loadTokensConfig(env()).shareTokenMethods).toEqual(['get', 'post']);
    expect(loadTokensConfig(env({ SHARE_TOKEN_METHODS: '' })).shareTokenMethods).toEqual(['get', 'post']);
  });

  it.each([
    ['get,post', ['get', 'post']],
    ['post, get', ['get', 'post']],
    ['GET', ['get']],
    ['get', ['get']],
    ['["get"]', ['get']],
  ])('reads %j as %j', (value, methods) => {
    expect(loadTokensConfig(env({ SHARE_TOKEN_METHODS: value })).shareTokenMethods).toEqual(methods);
  });

  it.each(['get,put', 'delete', 'get,post,delete', 'post', ' , ', 'get;post', 'patch'])(
    'refuses %j at start-up, naming the variable and the two accepted values',
    (value) => {
      const err = configError(() => loadTokensConfig(env({ SHARE_TOKEN_METHODS: value })));
      expect(err.variable).toBe('SHARE_TOKEN_METHODS');
      expect(err.message).toContain('"get,post"');
      expect(err.message).toContain('"get"');
    },
  );
});

describe('loadTokensConfig: bounds on what token creation may cost', () => {
  it('defaults: 32 MiB and 10,000 verified tokens, 30 days for bearer links, 3000 and 60 creations a minute', () => {
    expect(loadTokensConfig({})).toMatchObject({
      verifiedTokenCacheSize: 10_000,
      verifiedTokenCacheBytes: 32 * 1024 * 1024,
      bearerShareMaxValidity: 30 * 24 * 3600,
      creationLimitBasic: 3000,
      creationLimitBearer: 60,
    });
  });

  it('reads each setting, 0 disabling the cache and the limits', () => {
    expect(
      loadTokensConfig({
        VERIFIED_TOKEN_CACHE_MB: '0',
        BEARER_SHARE_MAX_VALIDITY: '3600',
        TOKEN_CREATION_LIMIT_BASIC: '0',
        TOKEN_CREATION_LIMIT_BEARER: '10',
      }),
    ).toMatchObject({
      verifiedTokenCacheBytes: 0,
      bearerShareMaxValidity: 3600,
      creationLimitBasic: 0,
      creationLimitBearer: 10,
    });
  });

  it.each([
    [{ VERIFIED_TOKEN_CACHE_MB: '1.5' }, /VERIFIED_TOKEN_CACHE_MB expects an integer/],
    [{ VERIFIED_TOKEN_CACHE_MB: '5000' }, /VERIFIED_TOKEN_CACHE_MB expects an integer from 0 to 4096/],
    [{ BEARER_SHARE_MAX_VALIDITY: '0' }, /BEARER_SHARE_MAX_VALIDITY expects an integer from 60/],
    [{ TOKEN_CREATION_LIMIT_BASIC: '60001' }, /TOKEN_CREATION_LIMIT_BASIC expects an integer from 0 to 60000/],
    [{ TOKEN_CREATION_LIMIT_BEARER: 'lots' }, /TOKEN_CREATION_LIMIT_BEARER expects an integer/],
  ])('names the variable of a wrong value %p', (env, message) => {
    expect(configError(() => loadTokensConfig(env)).message).toMatch(message);
  });
});

describe('loadTokensConfig: PUBLIC_* roots with or without their trailing "/"', () => {
  const resources = [{ dicomUid: '1.2.3', orthancId: 'o-1', url: null, level: 'study' as const }];
  /** Every link a root makes: the viewer links of each publication, the landing and share page links. */
  const linksOf = (e: Record<string, string>) => {
    const links = new LinkBuilder(loadTokensConfig(env(e)));
    return [
      ...['stone-viewer-publication', 'osimis-viewer-publication', 'volview-viewer-publication'].map((type) =>
        links.directUrl(type, resources, 'T'),
      ),
      links.directUrl('ohif-viewer-publication', resources, 'T'),
      links.shareUrl('stone-viewer-publication', resources, 'T'),
      links.sharePageUrl('T'),
    ];
  };

  it.each([
    [
      'PUBLIC_ORTHANC_ROOT',
      'publicOrthancRoot',
      'https://pacs.example.org/orthanc',
      'https://pacs.example.org/orthanc/stone-webviewer/',
    ],
    ['PUBLIC_OHIF_ROOT', 'publicOhifRoot', 'https://pacs.example.org/ohif', 'https://pacs.example.org/ohif/viewer?'],
    // The service's own share page is a folder too (/share/, its style.css and forms beside it).
    [
      'PUBLIC_SHARE_PAGE_ROOT',
      'publicSharePageRoot',
      'https://pacs.example.org/auth/share',
      'https://pacs.example.org/auth/share/?token=T',
    ],
  ])('%s (%s) = %s and its "/" spelling make the same links (path kept: %s...)', (variable, field, root, kept) => {
    const without = linksOf({ [variable]: root });
    expect(without).toEqual(linksOf({ [variable]: `${root}/` }));
    expect(without.some((link) => link?.startsWith(kept))).toBe(true);
    expect(loadTokensConfig(env({ [variable]: root }))).toMatchObject({ [field]: `${root}/` });
  });

  it('a root that is only a host gets its "/"; a query after the path stays after it', () => {
    expect(loadTokensConfig(env({ PUBLIC_ORTHANC_ROOT: 'https://pacs.example.org' })).publicOrthancRoot).toBe(
      'https://pacs.example.org/',
    );
    expect(loadTokensConfig(env({ PUBLIC_OHIF_ROOT: 'https://h/ohif?x=1' })).publicOhifRoot).toBe(
      'https://h/ohif/?x=1',
    );
  });

  it.each(['https://pacs.example.org/orthanc/ui/app/token-landing.html', 'https://pacs.example.org/landing'])(
    "PUBLIC_LANDING_ROOT=%s is a page (OE2's token-landing.html), not a folder: links are that page with ?token=, nothing of its path dropped",
    (page) => {
      const landing = (root: string) => linksOf({ PUBLIC_ORTHANC_ROOT: 'https://h/', PUBLIC_LANDING_ROOT: root })[4];
      expect(landing(page)).toBe(`${page}?token=T`);
      expect(landing(`${page}/`)).toBe(`${page}/?token=T`);
    },
  );
});

describe('loadTokensConfig: development defaults follow PORT and URL_PREFIX', () => {
  it('points protected links to the share page of this service where it listens', () => {
    expect(loadTokensConfig(env()).publicSharePageRoot).toBe('http://localhost:8000/share/');
    expect(loadTokensConfig(env({ PORT: '8123' })).publicSharePageRoot).toBe('http://localhost:8123/share/');
    expect(loadTokensConfig(env({ PORT: '8123', URL_PREFIX: '/auth' })).publicSharePageRoot).toBe(
      'http://localhost:8123/auth/share/',
    );
    expect(loadTokensConfig(env({ PORT: '8123', NODE_ENV: 'production' })).publicSharePageRoot).toBeUndefined();
  });
});
