import { Session } from 'node:inspector/promises';

/**
 * Counts the work a piece of code does, without a clock: V8's precise block coverage
 * (`Profiler.startPreciseCoverage` with call counts) tells how many times each function and
 * each block of the project's own source ran. The sum over the files of interest is a count
 * of executed blocks: the same for the same input on every machine, and it grows with the
 * input as the code's complexity does (loops inside native builtins, such as indexOf, count
 * once per call).
 */
export class WorkMeter {
  private readonly session = new Session();

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  /** Blocks executed since the last call (or `start`) in scripts whose URL matches `files`. */
  async take(files: RegExp): Promise<number> {
    const { result } = await this.session.post('Profiler.takePreciseCoverage');
    let count = 0;
    for (const script of result) {
      if (!files.test(script.url)) continue;
      for (const fn of script.functions) for (const range of fn.ranges) count += range.count;
    }
    return count;
  }

  async stop(): Promise<void> {
    await this.session.post('Profiler.stopPreciseCoverage');
    await this.session.post('Profiler.disable');
    this.session.disconnect();
  }
}
