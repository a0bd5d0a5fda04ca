/** The test database now lives with the stack: see test/support/stack/database.ts (this name is kept for older imports). */
export { adminUrl, createTestDatabase, type TestDatabase } from './stack/database.ts';
