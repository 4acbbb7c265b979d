/**
 * The contract runner's defaults that its command line also shows, apart from the runner so
 * that defining the CLI loads none of the runner.
 */

/** The reuse grace window assumed of a target that was not told otherwise: refreshd's own default. */
export const DEFAULT_GRACE_SECONDS = 10;

/** Generated requests per operation and kind (valid, invalid) in the generative phase. */
export const DEFAULT_EXAMPLES = 100;
