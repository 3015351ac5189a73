import { isOrthancWrite, pathOf, pathSegments } from './orthanc-write';

const A = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';
const UID = '2.25.100000000000000000000000000000000001';

describe('isOrthancWrite', () => {
  it.each([
    ['GET', `/dicom-web/studies/${UID}/series`],
    ['GET', `/orthanc/dicom-web/studies?StudyInstanceUID=${UID}&token=x`],
    ['HEAD', `/studies/${A}`],
    ['OPTIONS', '/tools/find'],
    ['GET', `/studies/${A}/modify`],
    ['POST', '/tools/find'],
    ['POST', '/orthanc/tools/find'],
    ['POST', '/shares/tools/find/'],
    ['POST', '/tools/lookup'],
    ['POST', '/tools/create-archive'],
    ['POST', '/tools/create-media'],
    ['POST', '/tools/create-media-extended'],
    ['POST', `/orthanc/studies/${A}/archive`],
    ['POST', `/patients/${A}/media`],
    ['POST', `/series/${A}/archive?token=x`],
    ['POST', `/orthanc/tools/./find`],
    ['POST', `http://pacs.example/orthanc/tools/find`],
  ])('%s %s is a read', (method, uri) => {
    expect(isOrthancWrite(method, uri)).toBe(false);
  });

  it.each([
    // every PUT and DELETE, and any other method
    ['PUT', `/studies/${A}/metadata/1024`],
    ['PUT', `/instances/${A}/attachments/1025`],
    ['PUT', `/dicom-web/studies/${UID}`],
    ['DELETE', `/studies/${A}`],
    ['DELETE', `/orthanc/instances/${A}`],
    ['DELETE', '/tools/find'],
    ['PATCH', `/studies/${A}`],
    ['get', `/studies/${A}`],
    ['PROPFIND', '/'],
    // the POST writes the plugin validates as a read's post, and the bulk routes
    ['POST', `/studies/${A}/modify`],
    ['POST', `/orthanc/studies/${A}/anonymize`],
    ['POST', `/studies/${A}/merge`],
    ['POST', `/studies/${A}/split`],
    ['POST', `/patients/${A}/modify`],
    ['POST', `/series/${A}/anonymize`],
    ['POST', `/instances/${A}/modify`],
    ['POST', `/studies/${A}/reconstruct`],
    ['POST', `/instances/${A}/export`],
    ['POST', `/studies/${A}/attachments/dicom/compress`],
    ['POST', '/tools/bulk-delete'],
    ['POST', '/orthanc/tools/bulk-modify'],
    ['POST', '/tools/bulk-anonymize'],
    ['POST', '/tools/bulk-content'],
    // STOW-RS: the plugin validates these as post on the study named in the URI or the query
    ['POST', `/dicom-web/studies/${UID}`],
    ['POST', `/dicom-web/studies?StudyInstanceUID=${UID}`],
    ['POST', '/dicom-web/studies'],
    // anything else posted, and paths dressed up as a read
    ['POST', '/instances'],
    ['POST', '/tools/create-dicom'],
    ['POST', '/tools/execute-script'],
    ['POST', `/studies/${A}`],
    ['POST', `/studies/${A}/modify?x=/tools/find`],
    ['POST', `/studies/${A}/modify#/tools/find`],
    // a raw # is no fragment to Orthanc: this one routes to modify (issue 24)
    ['POST', `/tools/find#/../../studies/${A}/modify`],
    ['POST', '/tools/find#'],
    ['POST', `/tools/find/../../studies/${A}/modify`],
    ['POST', `/orthanc/tools/find%2F..%2F..%2Fstudies%2F${A}%2Fmodify`],
    ['POST', `/orthanc/tools/fi%6Ed%2F..%2F..%2Fstudies%2F${A}%2Fmodify`],
    ['POST', `/orthanc/studies/${A}/modify%3F/tools/find`],
    ['POST', '/orthanc/tools/%E0%A4%A'],
    ['POST', '/orthanc/tools/%66ind'],
    ['POST', '/orthanc/tools/find;x'],
    ['POST', '/orthanc\\tools\\find'],
    ['POST', `/studies/${A}/archive/../modify`],
    ['POST', `/studies/${A}/archive/x`],
    ['POST', '/archive'],
    ['POST', ''],
  ])('%s %s is a write', (method, uri) => {
    expect(isOrthancWrite(method, uri)).toBe(true);
  });
});

describe('pathOf and pathSegments', () => {
  it('drops the query, and the scheme and host of an absolute URI; a raw # stays in the path', () => {
    expect(pathOf('/a/b?c=/d#e')).toBe('/a/b');
    expect(pathOf('/a#b?c')).toBe('/a#b');
    expect(pathOf('http://h:80/a?b')).toBe('/a');
    expect(pathOf('http://h')).toBe('/');
  });
  it('drops empty and . segments and resolves .. without going above the root', () => {
    expect(pathSegments('//a/./b//c/')).toEqual(['a', 'b', 'c']);
    expect(pathSegments('/a/../../b/..//c')).toEqual(['c']);
    expect(pathSegments('')).toEqual([]);
  });
});
