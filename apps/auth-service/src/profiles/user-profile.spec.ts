import { profileValidity } from './user-profile';

describe('profileValidity', () => {
  const now = 1_800_000_000;
  it('is 60 s for a token without expiry or far from it', () => {
    expect(profileValidity(null, now)).toBe(60);
    expect(profileValidity(now + 3600, now)).toBe(60);
  });
  it('never outlives the token, and is never 0 (0 means "forever" to the plugin)', () => {
    expect(profileValidity(now + 10, now)).toBe(10);
    expect(profileValidity(now + 0.5, now)).toBe(1);
    expect(profileValidity(now - 20, now)).toBe(1);
  });
});
