import { InvalidInputError } from '@app/common';
import { Resource } from '../token-types';
import type { TokensConfig } from '../tokens.config';

/** Thrown when a token type needs a setting that is not configured; the message names the variable. */
export class NotConfiguredError extends InvalidInputError {
  constructor(type: string, variable: string) {
    super(`${type} links are not configured on this service: set ${variable}`);
  }
}

/** `base ⊕ relative` as the Python service does it (urljoin): the path is resolved, the query kept verbatim. */
export function joinUrl(base: string, relativePathAndQuery: string): string {
  const q = relativePathAndQuery.indexOf('?');
  const path = q === -1 ? relativePathAndQuery : relativePathAndQuery.slice(0, q);
  const query = q === -1 ? '' : relativePathAndQuery.slice(q);
  const resolved = new URL(path, base);
  return `${resolved.origin}${resolved.pathname}${query}`;
}

/** `LANDING?token=T`: the landing root's path, its query replaced. */
export function landingUrl(landingRoot: string, token: string): string {
  const u = new URL(landingRoot);
  return `${u.origin}${u.pathname}?token=${token}`;
}

function allOf(resources: Resource[], key: 'dicomUid' | 'orthancId'): string[] | null {
  if (resources.length === 0) return null;
  const ids: string[] = [];
  for (const r of resources) {
    const v = r[key];
    if (!v) return null;
    ids.push(v);
  }
  return ids;
}

/** The viewer links of the publication types (PROTOCOL.md section 2). */
export class LinkBuilder {
  constructor(private readonly config: TokensConfig) {}

  /** Throws {@link NotConfiguredError} when the type cannot make links here. */
  assertConfigured(type: string): void {
    switch (type) {
      case 'stone-viewer-publication':
      case 'osimis-viewer-publication':
      case 'volview-viewer-publication':
        if (!this.config.publicOrthancRoot) throw new NotConfiguredError(type, 'PUBLIC_ORTHANC_ROOT');
        return;
      case 'ohif-viewer-publication':
        if (!this.config.publicOhifRoot) throw new NotConfiguredError(type, 'PUBLIC_OHIF_ROOT');
        return;
      default:
        return;
    }
  }

  /** The ids a publication needs, or null when a resource lacks one (the link cannot be made). */
  private idsFor(type: string, resources: Resource[]): string[] | null {
    switch (type) {
      case 'stone-viewer-publication':
      case 'meddream-viewer-publication':
        return allOf(resources, 'dicomUid');
      case 'osimis-viewer-publication':
      case 'volview-viewer-publication':
        return allOf(resources, 'orthancId');
      case 'ohif-viewer-publication':
        return allOf(resources, this.config.ohifDataSource === 'dicom-json' ? 'orthancId' : 'dicomUid');
      default:
        return null;
    }
  }

  /** The viewer link itself, without the landing page (decode's redirect-url). */
  directUrl(type: string, resources: Resource[], token: string): string | null {
    const ids = this.idsFor(type, resources);
    if (!ids) return null;
    const joined = ids.join(',');
    const orthanc = this.config.publicOrthancRoot;
    const ohif = this.config.publicOhifRoot;
    switch (type) {
      case 'stone-viewer-publication':
        return orthanc
          ? joinUrl(orthanc, `stone-webviewer/index.html?study=${joined}&selectedStudies=${joined}&token=${token}`)
          : null;
      case 'osimis-viewer-publication':
        return orthanc
          ? joinUrl(
              orthanc,
              `osimis-viewer/app/index.html?pickableStudyIds=${joined}&selectedStudyIds=${joined}&token=${token}`,
            )
          : null;
      case 'volview-viewer-publication': {
        const urls = ids.map((id) => `../studies/${id}/archive`).join(',');
        return orthanc ? joinUrl(orthanc, `volview/index.html?names=[archive.zip]&urls=${urls}&token=${token}`) : null;
      }
      case 'ohif-viewer-publication':
        if (!ohif) return null;
        return this.config.ohifDataSource === 'dicom-json'
          ? joinUrl(ohif, `viewer?url=../studies/${joined}/ohif-dicom-json&token=${token}`)
          : joinUrl(ohif, `viewer?StudyInstanceUIDs=${joined}&token=${token}`);
      default:
        return null;
    }
  }

  /** The share page's link to a protected token (PUBLIC_SHARE_PAGE_ROOT?token=T), or null when no page is set. */
  sharePageUrl(token: string): string | null {
    const root = this.config.publicSharePageRoot;
    return root ? landingUrl(root, token) : null;
  }

  /** The share page's host (PUBLIC_SHARE_PAGE_ROOT's), which its forms are posted from; null when no page is set. */
  get sharePageHost(): string | null {
    const root = this.config.publicSharePageRoot;
    return root ? new URL(root).host : null;
  }

  /** The link answered at creation: the landing page when one is set, else the viewer link; null without ids. */
  shareUrl(type: string, resources: Resource[], token: string): string | null {
    if (!this.idsFor(type, resources)) return null;
    const landing = this.config.publicLandingRoot;
    if (landing) return landingUrl(landing, token);
    return this.directUrl(type, resources, token);
  }
}
