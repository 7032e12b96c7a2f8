/** Shared by the database scenarios (not a scenario: files starting with "_" are not run). */
export function harnessUrls(): { primary: string; replica: string } {
  const primary = process.env.DATABASE_URL;
  const replica = (process.env.DATABASE_REPLICA_URLS ?? '').split(',').find((url) => url !== '');
  if (!primary || !replica) {
    throw new Error(
      'DATABASE_URL and DATABASE_REPLICA_URLS must be set (npm run leak starts the harness when DATABASE_URL is unset)',
    );
  }
  return { primary, replica };
}
