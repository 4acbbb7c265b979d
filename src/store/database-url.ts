/**
 * The URL without its password, for logs and banners. An unparsable URL is reported by kind only:
 * it may hold the password in a place the parser did not recognise. Kept apart from the store so
 * that describing a store never loads the PostgreSQL driver.
 */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}
