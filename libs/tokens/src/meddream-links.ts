import { Resource } from './token-types';

/**
 * What the tokens capability needs from MedDream (implemented by MedDreamModule, the only code that talks to the
 * MedDream token service). Absent when MedDream is not configured.
 */
export interface MedDreamLinks {
  /** A MedDream viewer link for these study resources, with a fresh token from the MedDream token service. */
  mintLink(resources: Resource[]): Promise<{ token: string; url: string }>;
  /** Throws a 400 naming the problem when MedDream could not open these resources (checked at creation). */
  checkResources(resources: Resource[]): void;
}

export const MEDDREAM_LINKS = Symbol('MEDDREAM_LINKS');
