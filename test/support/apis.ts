import { knownApi } from '../../src/contract/documents';
import { catalogueOf } from '../../src/spec/catalogue';

/**
 * The five published apis, in the order of their seeds. The code keeps no such list (it reads
 * specs/); the tests name them because they test those five documents.
 */
export const PUBLISHED_APIS = ['watchr', 'galileo', 'pathstack', 'almanac', 'session'] as const;
export type PublishedApi = (typeof PUBLISHED_APIS)[number];

/** One of the project's apis as the contract runner checks it. */
export const projectApi = (name: string) => knownApi(catalogueOf().get(name));
