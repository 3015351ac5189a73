import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError } from '@app/common';
import { joinUrl, MedDreamLinks, Resource } from '@app/tokens';
import { medDreamConfig, MedDreamConfig } from './meddream.config';
import { MedDreamTokenClient } from './meddream-token.client';

/** The most studies one MedDream link may open (the link is a URL: it must stay a sane length). */
const MAX_MEDDREAM_STUDIES = 100;

/**
 * A StudyInstanceUID as it may travel, unencoded, in a MedDream link. DICOM UIDs are digits and dots (64 chars at
 * most); letters, "-" and "_" are let through for non-conformant archives, but nothing that could end the query
 * parameter ("&", "#", ",", "=", spaces, ...).
 */
const STUDY_UID = /^[0-9A-Za-z._-]{1,128}$/;

/** The StudyInstanceUIDs of the resources, or a 400 naming the first problem. */
export function studyUidsOf(resources: Resource[]): string[] {
  if (resources.length === 0) {
    throw new InvalidInputError(['resources must hold at least one study for a MedDream link']);
  }
  if (resources.length > MAX_MEDDREAM_STUDIES) {
    throw new InvalidInputError([`resources must hold at most ${MAX_MEDDREAM_STUDIES} studies for a MedDream link`]);
  }
  return resources.map((r, i) => {
    if (r.level !== 'study') {
      throw new InvalidInputError([`resources.${i}.level must be "study" for a MedDream link (got "${r.level}")`]);
    }
    if (!r.dicomUid) {
      throw new InvalidInputError([`resources.${i}.dicom-uid (the StudyInstanceUID) is required for a MedDream link`]);
    }
    if (!STUDY_UID.test(r.dicomUid)) {
      throw new InvalidInputError([`resources.${i}.dicom-uid must be a StudyInstanceUID (digits and dots)`]);
    }
    return r.dicomUid;
  });
}

/** `PUBLIC_MEDDREAM_ROOT ⊕ ?study=U1,U2&token=M` */
export function medDreamUrl(publicRoot: string, studyUids: string[], token: string): string {
  return joinUrl(publicRoot, `?study=${studyUids.join(',')}&token=${encodeURIComponent(token)}`);
}

/** MedDream viewer links with a fresh token from the MedDream token service (MedDreamLinks of @app/tokens). */
@Injectable()
export class MedDreamLinksService implements MedDreamLinks {
  constructor(
    @Inject(medDreamConfig.KEY) private readonly config: MedDreamConfig,
    private readonly client: MedDreamTokenClient,
  ) {}

  checkResources(resources: Resource[]): void {
    studyUidsOf(resources);
  }

  async mintLink(resources: Resource[]): Promise<{ token: string; url: string }> {
    const uids = studyUidsOf(resources);
    const token = await this.client.requestToken(uids);
    return { token, url: medDreamUrl(this.config.publicRoot!, uids, token) };
  }
}
