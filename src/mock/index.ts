/** Mock mode: Prism-compatible response negotiation and schema sampling. */
export { sampleSchema, seededRandom, randomSeed, SampleError } from '../schema/sample';
export type { SampleOptions } from '../schema/sample';
export { parsePrefer, parsePreferQuery, preferFromRequest, formatPreferenceApplied } from './prefer';
export type { Prefer, PreferError, PreferParseResult } from './prefer';
export {
  mockResponse,
  buildMockResponders,
  OperationMocker,
  isMockFailure,
  selectResponse,
  selectMediaType,
} from './respond';
export type {
  OpenApiOperation,
  ResponseObject,
  MediaTypeObject,
  HeaderObject,
  ExampleObject,
  MockResult,
  MockSuccess,
  MockFailure,
  MockErrorKind,
  MockOptions,
  MockResponders,
} from './respond';
export { dereferenceDocument, resolvePointer, DereferenceError } from '../schema/deref';
export { conforms, conformsAll, deepEqual } from '../schema/conforms';
