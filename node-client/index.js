// The tutorial's app, unchanged in spirit: node-postgres reads PGHOST, PGPORT, PGUSER, PGPASSWORD and
// PGDATABASE from the environment (the AppHost sets them), prints the hello row, and exits.
// Deployed, the AppHost sets Hello__AfterRun=Stay: a Container App is started again after every exit, so the client
// then reads until it works and stays up until it is stopped.
'use strict';

const { Client } = require('pg');
const { applyConnectionString } = require('./connection-string');

applyConnectionString(process.env, 'hello');

const missing = ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'].filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`node-client cannot start: ${missing.join(', ')} not set. Run it through the AppHost, or set the PG* variables.`);
  process.exit(2);
}

const stay = (process.env.Hello__AfterRun || '').toLowerCase() === 'stay';
const retrySeconds = 30;

async function readOnce() {
  const client = new Client({ connectionTimeoutMillis: 10000 });
  try {
    await client.connect();
    const result = await client.query('SELECT message FROM hello ORDER BY id LIMIT 1');
    if (result.rows.length === 0) {
      console.error(`Table 'hello' in database '${process.env.PGDATABASE}' has no rows.`);
      return 5;
    }
    console.log(result.rows[0].message);
    return 0;
  } catch (error) {
    const where = `${process.env.PGHOST}:${process.env.PGPORT}/${process.env.PGDATABASE}`;
    console.error(`node-client could not read the hello row from ${where}: ${error.message}`);
    return error.code === '42P01' ? 4 : 3;
  } finally {
    await client.end().catch((error) => console.error(`closing the connection failed: ${error.message}`));
  }
}

async function main() {
  if (!stay) {
    return readOnce();
  }

  while ((await readOnce()) !== 0) {
    console.error(`node-client: reading the hello row again in ${retrySeconds} s (Hello__AfterRun=Stay).`);
    await new Promise((resolve) => setTimeout(resolve, retrySeconds * 1000));
  }

  console.log('node-client: done; staying up until stopped (Hello__AfterRun=Stay).');
  await new Promise((resolve) => {
    const idle = setInterval(() => {}, 1 << 30);
    const stop = () => { clearInterval(idle); resolve(); };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

main().then((code) => process.exit(code));
