import { DomainError, InvalidInputError } from '@app/common';
import type { Resource } from '@app/tokens';
import { medDreamUrl, studyUidsOf } from './meddream-links.service';
import { tokenRequestBody } from './meddream-token.client';

const r = (dicomUid: string | null, level: Resource['level'] = 'study'): Resource => ({
  dicomUid,
  orthancId: null,
  url: null,
  level,
});

describe('MedDream links', () => {
  it('takes the StudyInstanceUIDs of study resources, in order', () => {
    expect(studyUidsOf([r('1.2.3'), r('1.2.4')])).toEqual(['1.2.3', '1.2.4']);
  });

  it.each([
    [[], /at least one study/],
    [[r('1.2.3', 'instance')], /resources\.0\.level/],
    [[r('1.2.3'), r(null)], /resources\.1\.dicom-uid/],
    [[r('1.2.3#x')], /resources\.0\.dicom-uid/],
    [[r('1.2 3')], /resources\.0\.dicom-uid/],
  ])('refuses %j with a 400 naming the problem', (resources, named) => {
    let caught: unknown;
    try {
      studyUidsOf(resources);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect(JSON.stringify((caught as DomainError).messages)).toMatch(named);
  });

  it('builds root ⊕ ?study=U1,U2&token=M, keeping the root path', () => {
    expect(medDreamUrl('https://x.org/meddream/', ['1.2', '1.3'], 'abc-123')).toBe(
      'https://x.org/meddream/?study=1.2,1.3&token=abc-123',
    );
  });

  it('encodes a token character that would end the query parameter', () => {
    expect(medDreamUrl('https://x.org/', ['1.2'], 'a&b=c')).toBe('https://x.org/?study=1.2&token=a%26b%3Dc');
  });

  it('asks one item per study, stored in Orthanc', () => {
    expect(tokenRequestBody(['1.2', '1.3'])).toEqual({
      items: [{ studies: { study: '1.2', storage: 'Orthanc' } }, { studies: { study: '1.3', storage: 'Orthanc' } }],
    });
  });
});
