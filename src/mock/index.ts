/** Mock mode: Prism-compatible response negotiation and schema sampling. */
export { sampleSchema, seededRandom, randomSeed, SampleError } from './sample';
export type { SampleOptions } from './sample';
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
export { dereferenceDocument, resolvePointer, DereferenceError } from './deref';
export { conforms, conformsAll, deepEqual } from './validate';
