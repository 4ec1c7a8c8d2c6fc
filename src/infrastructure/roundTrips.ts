/**
 * Fewer round trips to PostgreSQL, for the few hot reads that need it: the ONE interface of the
 * round-trip engine (`./roundTripEngine.ts`). Only repositories (`src/features/<f>/repository.ts`,
 * and the data access of `src/access/`) import it; services and routes never do
 * (tests/unit/roundTripsImports.test.ts), so a query changed in a repository is a query changed,
 * whatever runs it. Why it exists and what it costs: docs/decisions/0002-grouped-round-trips.md.
 *
 * - `preparedQuery(db, name, text, values)`: a hot read as a named prepared statement, parsed and
 *   planned once per connection (an unnamed one behind PgBouncer).
 * - `batchedReader(read)`: the keys asked for during one turn of the event loop read by ONE statement,
 *   each caller getting its own result.
 * - `decidedReads(db)`: a read decided in Node on facts read in the same transaction and committed
 *   with one last statement (an activity row), in two round trips, or one when the facts were seen
 *   before (a guard reads them again), grouped with the reads decided at the same time.
 * - `sqlLiteral(value)`: a string as a PostgreSQL literal, for that last statement's text.
 */
export { batchedReader, decidedReads, preparedQuery, sqlLiteral, type Decision } from './roundTripEngine'
