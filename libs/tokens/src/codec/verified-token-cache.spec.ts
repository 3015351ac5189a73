import { VerifiedTokenCache } from './verified-token-cache';
import { ShareToken } from '../token-types';

const t = (id: string) => ({ id }) as unknown as ShareToken;

describe('VerifiedTokenCache', () => {
  it('is bounded: the oldest entry leaves first', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', t('a'));
    cache.set('b', t('b'));
    cache.set('c', t('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')?.id).toBe('c');
  });
  it('remembers nothing with a capacity of 0', () => {
    const cache = new VerifiedTokenCache(0);
    cache.set('a', t('a'));
    expect(cache.get('a')).toBeUndefined();
  });
});
