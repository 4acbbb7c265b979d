/** A request as the report prints it (token values already replaced by placeholders). */
export interface PrintedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Single-quoted for a POSIX shell: every character literal. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** A `curl` command line that sends `request` again, header for header and byte for byte of the body. */
export function curlCommand(request: PrintedRequest): string {
  const parts = ['curl', '-i', '-X', request.method, shellQuote(request.url)];
  for (const [name, value] of Object.entries(request.headers)) parts.push('-H', shellQuote(`${name}: ${value}`));
  if (request.body !== undefined) parts.push('--data-binary', shellQuote(request.body));
  return parts.join(' ');
}
