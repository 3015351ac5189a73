// The client-address helper lives in @app/common (the Basic login backoff uses it too); kept importable from here.
export { ClientAddress } from '@app/common';
