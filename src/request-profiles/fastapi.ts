import { isJsonContentType } from '../app/request-input';
import type { ValidationProblem } from '../dialects/dialect';
import { explainValue } from '../dialects/pydantic/explain';
import { pythonInputAt, pythonKeyPositions, readPythonTree } from '../dialects/pydantic/python-values';
import { decodeForm, decodeJson, decodeText, FORM_MEDIA_TYPE, selectMedia, type RequestProfile } from './profile';

/**
 * FastAPI 0.142 (Starlette, Pydantic 2.13) reading a request, as watchr, galileo, almanac and
 * pathstack were served (README, "Request rules"): a body is JSON only under a JSON
 * Content-Type, and any other one, none included, is validated as raw text against the JSON
 * model (`strict_content_type`); a JSON `null` is no body; trailing slashes redirect;
 * failures are worded as Pydantic words them, echoing the input as Python's json writes it.
 */
export const fastapiRequestProfile: RequestProfile = {
  name: 'fastapi',
  redirectsSlashes: true,
  nullBodyIsMissing: true,
  nonJsonBody: 'validate-raw',
  decodeBody(bytes, contentType, body) {
    const json = body.media.find((media) => media.mediaType === 'application/json');
    if (json && isJsonContentType(contentType)) return decodeJson(bytes, json, true);
    const selected = selectMedia(body, contentType);
    if (selected?.mediaType === FORM_MEDIA_TYPE) return decodeForm(bytes, selected);
    // FastAPI validates the raw bytes against the model; its error echoes them decoded.
    if (json) return decodeText(bytes, json);
    return selected ? decodeText(bytes, selected) : { refused: 'unsupported-media-type' };
  },
  explain: explainValue,
  alignProblems(problems, body) {
    if (body.kind === 'json') alignWithPython(problems, body.text);
  },
};

/**
 * FastAPI writes each echoed `input` with Python's json: floats keep their `.0`, integers
 * every digit, objects their key order; and Pydantic reports extra keys in arrival order,
 * which JavaScript objects do not keep for integer-like keys. A `missing` error echoes the
 * object that lacks the field.
 */
function alignWithPython(problems: ValidationProblem[], text: string): void {
  if (!problems.some((problem) => problem.loc[0] === 'body')) return;
  const tree = readPythonTree(text);
  if (!tree) return;
  for (let start = 0; start < problems.length; start++) {
    if (problems[start].type !== 'extra_forbidden') continue;
    const parent = JSON.stringify(problems[start].loc.slice(0, -1));
    let end = start;
    while (end + 1 < problems.length && problems[end + 1].type === 'extra_forbidden' && JSON.stringify(problems[end + 1].loc.slice(0, -1)) === parent) end++;
    const keys = pythonKeyPositions(tree, problems[start].loc.slice(1, -1));
    if (keys) placeInArrivalOrder(problems, start, end + 1, keys);
    start = end;
  }
  for (const problem of problems) {
    if (problem.loc[0] !== 'body') continue;
    const path = problem.loc.slice(1);
    const raw = pythonInputAt(tree, problem.type === 'missing' ? path.slice(0, -1) : path);
    if (raw) problem.input = raw;
  }
}

/**
 * Reorders `problems[start..end)`, extra keys of one object, into the order the keys arrived
 * in: each goes to the slot of its key's position, so the work is linear in the run and the
 * object (a sort by `indexOf` was quadratic: 8,000 extra keys took half a second).
 */
function placeInArrivalOrder(problems: ValidationProblem[], start: number, end: number, keys: { positions: ReadonlyMap<string, number>; size: number }): void {
  const slots: Array<ValidationProblem | undefined> = new Array(keys.size);
  const unplaced: ValidationProblem[] = [];
  for (let index = start; index < end; index++) {
    const position = keys.positions.get(String(problems[index].loc.at(-1)));
    if (position === undefined || slots[position] !== undefined) unplaced.push(problems[index]);
    else slots[position] = problems[index];
  }
  let next = start;
  for (const problem of slots) if (problem !== undefined) problems[next++] = problem;
  for (const problem of unplaced) problems[next++] = problem;
}
