import type { WireResource } from './answers';

export const LEVELS = ['patient', 'study', 'series', 'instance', 'system'] as const;
export type Level = (typeof LEVELS)[number];

export const METHODS = ['get', 'post', 'put', 'delete'] as const;

export const TOKEN_TYPES = [
  'stone-viewer-publication',
  'ohif-viewer-publication',
  'volview-viewer-publication',
  'osimis-viewer-publication',
  'meddream-viewer-publication',
  'meddream-instant-link',
  'viewer-instant-link',
  'download-instant-link',
] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export const PUBLICATION_TYPES: ReadonlySet<TokenType> = new Set([
  'stone-viewer-publication',
  'ohif-viewer-publication',
  'volview-viewer-publication',
  'osimis-viewer-publication',
  'meddream-viewer-publication',
]);

export function isTokenType(value: unknown): value is TokenType {
  return typeof value === 'string' && (TOKEN_TYPES as readonly string[]).includes(value);
}

/** A resource as it travels in share tokens and answers. */
export interface Resource {
  dicomUid: string | null;
  orthancId: string | null;
  url: string | null;
  level: Level;
}

/** The content of a share token, whatever spelling it was written in. */
export interface ShareToken {
  id: string | null;
  /** The registry id of tokens created by this service (`share_id`); null for Python-issued tokens. */
  shareId: string | null;
  resources: Resource[];
  type: string;
  /** The instant it stops being valid, or null for never. */
  expiresAt: Date | null;
  /** expiration_date exactly as stored in the token (echoed, never re-formatted). */
  expirationDate: string | null;
  validityDuration: number | null;
  /**
   * A protected link (`protected` claim): opened only through the share page, with a password or an e-mailed code;
   * validate never grants it. False for every other token (the Python service's included).
   */
  protected: boolean;
  /** A child token minted by the share page: the share id of the protected share it unlocked (`parent_share_id`). */
  parentShareId: string | null;
}

export function toWireResource(r: Resource): WireResource {
  return { 'dicom-uid': r.dicomUid, 'orthanc-id': r.orthancId, url: r.url, level: r.level };
}
