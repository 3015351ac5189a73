import { call } from './app';

export const STUDY_UID = '1.2.840.113619.2.55.3.1';
export const ORTHANC_ID = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';

/** The share_id claim of a token created here (the payload is plain base64url JSON). */
export function shareIdOf(token: string): string | undefined {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).share_id;
}

export async function createShare(
  url: string,
  opts: { study?: string; orthancId?: string; type?: string; duration?: number; auth?: string } = {},
): Promise<{ token: string; id: string }> {
  const type = opts.type ?? 'stone-viewer-publication';
  const res = await call(
    url,
    'PUT',
    `/tokens/${type}`,
    {
      id: 'share-test',
      type,
      resources: [{ 'dicom-uid': opts.study ?? STUDY_UID, 'orthanc-id': opts.orthancId ?? ORTHANC_ID, level: 'study' }],
      ...(opts.duration !== undefined ? { 'validity-duration': opts.duration } : {}),
    },
    opts.auth ? { auth: opts.auth } : {},
  );
  if (res.status !== 200) throw new Error(`create answered ${res.status}: ${res.text}`);
  return { token: res.body.token, id: shareIdOf(res.body.token)! };
}

/** What the plugin asks for a GET of the study with this token. */
export async function validate(
  url: string,
  token: string,
  study = STUDY_UID,
  orthancId = ORTHANC_ID,
): Promise<boolean> {
  const res = await call(url, 'POST', '/tokens/validate', {
    'dicom-uid': study,
    'orthanc-id': orthancId,
    level: 'study',
    method: 'get',
    'token-key': 'token',
    'token-value': token,
  });
  if (res.status !== 200) throw new Error(`validate answered ${res.status}: ${res.text}`);
  return res.body.granted;
}

export async function decodeError(url: string, token: string): Promise<string | null> {
  const res = await call(url, 'POST', '/tokens/decode', { 'token-key': 'token', 'token-value': token });
  return res.body['error-code'];
}

/**
 * Polls `check` until it holds, for at most `withinMs`; answers how long it took (the propagation delay asserted by
 * the caller), or throws when it never held.
 */
export async function eventually(check: () => Promise<boolean>, withinMs: number, stepMs = 20): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > withinMs) throw new Error(`still not true after ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
