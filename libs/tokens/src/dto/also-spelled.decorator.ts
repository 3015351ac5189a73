import { Expose, Transform } from 'class-transformer';

/**
 * The property may arrive under another spelling (`dicom_uid` for `dicom-uid`, `identifier` for `server-id`):
 * the kebab-case key wins when both are present.
 */
export function AlsoSpelled(alternative: string): PropertyDecorator {
  return (target, key) => {
    const name = String(key);
    Expose()(target, key);
    Transform(({ obj }: { obj: Record<string, unknown> }) => (obj[name] !== undefined ? obj[name] : obj[alternative]))(
      target,
      key,
    );
  };
}
