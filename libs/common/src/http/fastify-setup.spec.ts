import { jsonDepthExceeds, MAX_JSON_DEPTH } from './fastify-setup';

describe('jsonDepthExceeds', () => {
  it('counts nested arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(jsonDepthExceeds('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":[[]]}]}', 4)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"${'['.repeat(100)}"}`, 2)).toBe(false);
  });
  it("lets the contract's deepest body through and refuses a deep one without recursion", () => {
    const roles = JSON.stringify({
      roles: { r: { permissions: ['view'], 'authorized-labels': ['*'] } },
      'available-labels': [],
    });
    expect(jsonDepthExceeds(roles, MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(500_000) + ']'.repeat(500_000), MAX_JSON_DEPTH)).toBe(true);
  });
});
