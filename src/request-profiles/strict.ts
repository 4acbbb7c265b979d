import { explainValue } from '../dialects/pydantic/explain';
import { decodeForm, decodeJson, decodeText, selectMedia, type RequestProfile } from './profile';

/**
 * A strict OpenAPI server's reading (session, and any document refreshd did not get from
 * FastAPI): the body's Content-Type must be one the operation declares (else 415), JSON is
 * parsed as JSON and a `null` is a value, form-urlencoded bodies become objects, paths are
 * exact (no slash redirects). Failures are worded with the same explainer as FastAPI's, which
 * the session envelope's `msg` has always carried.
 */
export const strictRequestProfile: RequestProfile = {
  name: 'strict',
  redirectsSlashes: false,
  nullBodyIsMissing: false,
  nonJsonBody: 'unsupported-media-type',
  decodeBody(bytes, contentType, body) {
    const media = selectMedia(body, contentType);
    if (!media) return { refused: 'unsupported-media-type' };
    if (media.kind === 'json') return decodeJson(bytes, media, false);
    return media.kind === 'form' ? decodeForm(bytes, media) : decodeText(bytes, media);
  },
  explain: explainValue,
  alignProblems: () => undefined,
};
