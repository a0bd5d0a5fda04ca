/** `npm run migrate`: applies pending migrations to $DATABASE_URL. */
import { loadConfigOrExit } from '../config/env.ts';
import { migrate } from './migrate.ts';

const config = loadConfigOrExit();
const ran = await migrate(config.databaseUrl, (m) => console.log(m));
console.log(ran.length ? `applied: ${ran.join(', ')}` : 'schema is up to date');
