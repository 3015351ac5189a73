/** The answer of `POST /user/get-profile` (PROTOCOL.md section 6); `null` stands for an unknown api-key or user id. */
export interface UserProfileAnswer {
  name: string;
  permissions: string[];
  'authorized-labels': string[];
  /** Seconds the plugin may cache the profile: always > 0 (0 means "forever" to the plugin). */
  validity: number;
  'user-id': string | null;
  groups: string[] | null;
}

/** How long the plugin may cache a user's profile (the Python service's value). */
export const USER_PROFILE_VALIDITY = 60;

/** A token's profile never outlives the token: min(60 s, seconds left), at least 1 (0 would mean "forever"). */
export function profileValidity(expiresAt: number | null, nowSeconds: number): number {
  if (expiresAt === null) return USER_PROFILE_VALIDITY;
  return Math.max(1, Math.min(USER_PROFILE_VALIDITY, Math.floor(expiresAt - nowSeconds)));
}
