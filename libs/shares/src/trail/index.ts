// The access trail of protected links: what the share page and validate report (ShareAccessEvent), aggregated and
// written in batches (ShareAccessTrail), and how it is shown (toAccessView). The stores write it (store/*-access.ts).
export { ShareAccessTrail, TRAIL_LIMITS } from './share-access-trail';
export type { ShareAccessEvent } from './share-access-event';
export { toAccessView } from './share-access-view';
export type { ShareAccessView } from './share-access-view';
