import { joinUrl, landingUrl, LinkBuilder, NotConfiguredError } from './link-builder';
import { Resource } from '../token-types';
import type { TokensConfig } from '../tokens.config';

const cfg = (over: Partial<TokensConfig> = {}): TokensConfig => ({
  publicOrthancRoot: 'http://h/orthanc/',
  publicOhifRoot: 'http://h/ohif/',
  ohifDataSource: 'dicom-web',
  validateCacheSeconds: 60,
  verifiedTokenCacheSize: 0,
  shareTokenMethods: ['get', 'post'],
  verifiedTokenCacheBytes: 0,
  bearerShareMaxValidity: 3600,
  creationLimitBasic: 0,
  sharePasswordMinLength: 8,
  shareChildTokenValidity: 3600,
  creationLimitBearer: 0,
  ...over,
});
const r = (dicomUid: string | null, orthancId: string | null): Resource => ({
  dicomUid,
  orthancId,
  url: null,
  level: 'study',
});
const two = [r('1.1', 'o1'), r('1.2', 'o2')];

describe('joinUrl (urljoin semantics)', () => {
  it('keeps the base path when it ends with a slash and drops its last segment otherwise', () => {
    expect(joinUrl('http://h/orthanc/', 'a/b.html?x=1')).toBe('http://h/orthanc/a/b.html?x=1');
    expect(joinUrl('http://h/orthanc', 'a/b.html?x=1')).toBe('http://h/a/b.html?x=1');
  });
  it('keeps the query verbatim (brackets, commas, dots)', () => {
    expect(joinUrl('http://h/', 'v?names=[a.zip]&urls=../s/o1/a,../s/o2/a')).toBe(
      'http://h/v?names=[a.zip]&urls=../s/o1/a,../s/o2/a',
    );
  });
  it('replaces the landing query and keeps its path', () => {
    expect(landingUrl('http://h/ui/landing.html?x=1', 'T')).toBe('http://h/ui/landing.html?token=T');
  });
});

describe('LinkBuilder', () => {
  it('builds every publication link with ids joined by commas', () => {
    const b = new LinkBuilder(cfg());
    expect(b.directUrl('stone-viewer-publication', two, 'T')).toBe(
      'http://h/orthanc/stone-webviewer/index.html?study=1.1,1.2&selectedStudies=1.1,1.2&token=T',
    );
    expect(b.directUrl('osimis-viewer-publication', two, 'T')).toBe(
      'http://h/orthanc/osimis-viewer/app/index.html?pickableStudyIds=o1,o2&selectedStudyIds=o1,o2&token=T',
    );
    expect(b.directUrl('volview-viewer-publication', two, 'T')).toBe(
      'http://h/orthanc/volview/index.html?names=[archive.zip]&urls=../studies/o1/archive,../studies/o2/archive&token=T',
    );
    expect(b.directUrl('ohif-viewer-publication', two, 'T')).toBe(
      'http://h/ohif/viewer?StudyInstanceUIDs=1.1,1.2&token=T',
    );
  });
  it('builds the OHIF dicom-json link from orthanc ids', () => {
    const b = new LinkBuilder(cfg({ ohifDataSource: 'dicom-json' }));
    expect(b.directUrl('ohif-viewer-publication', [r(null, 'o1')], 'T')).toBe(
      'http://h/ohif/viewer?url=../studies/o1/ohif-dicom-json&token=T',
    );
    expect(b.directUrl('ohif-viewer-publication', [r('1.1', null)], 'T')).toBeNull();
  });
  it('answers null when a resource lacks the id the viewer needs, or there is no resource', () => {
    const b = new LinkBuilder(cfg({ publicLandingRoot: 'http://h/landing.html' }));
    expect(b.shareUrl('stone-viewer-publication', [r('1.1', 'o1'), r(null, 'o2')], 'T')).toBeNull();
    expect(b.shareUrl('stone-viewer-publication', [], 'T')).toBeNull();
    expect(b.shareUrl('stone-viewer-publication', two, 'T')).toBe('http://h/landing.html?token=T');
    expect(b.shareUrl('viewer-instant-link', two, 'T')).toBeNull();
  });
  it('names the variable to set when a type is not configured', () => {
    const b = new LinkBuilder(cfg({ publicOrthancRoot: undefined, publicOhifRoot: undefined }));
    expect(() => b.assertConfigured('stone-viewer-publication')).toThrow(/PUBLIC_ORTHANC_ROOT/);
    expect(() => b.assertConfigured('ohif-viewer-publication')).toThrow(NotConfiguredError);
    expect(() => b.assertConfigured('ohif-viewer-publication')).toThrow(/PUBLIC_OHIF_ROOT/);
    expect(() => b.assertConfigured('viewer-instant-link')).not.toThrow();
  });
});
