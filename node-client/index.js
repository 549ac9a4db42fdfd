// The tutorial's app, unchanged in spirit: node-postgres reads PGHOST, PGPORT, PGUSER, PGPASSWORD and
// PGDATABASE from the environment (the AppHost sets them), prints the hello row, and exits.
// Deployed, the AppHost sets Hello__AfterRun=Stay: a Container App is started again after every exit, so the client
// then reads until it works and stays up until it is stopped; a setting it cannot use is said once, not in a loop.
'use strict';

const { Client } = require('pg');
const { applyConnectionString } = require('./connection-string');

const stay = (process.env.Hello__AfterRun || '').toLowerCase() === 'stay';
// Hello__RetryInterval as the worker reads Hello:RetryInterval (hh:mm:ss), 30 s when unset.
const retrySeconds = (() => {
  const match = /^(\d+):(\d\d):(\d\d(?:\.\d+)?)$/.exec(process.env.Hello__RetryInterval || '');
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) : 30;
})();

// What the client is told, in PG* variables (from ConnectionStrings__hello when a managed server sends one string);
// an error names what is wrong, never a value (the password is one of them).
function configure() {
  try {
    applyConnectionString(process.env, 'hello');
  } catch (error) {
    return `ConnectionStrings__hello is not a PostgreSQL connection string: ${error.message}`;
  }
  const missing = ['PGHOST', 'PGUSER', 'PGPASSWORD'].filter((name) => !process.env[name]);
  return missing.length > 0
    ? `${missing.join(', ')} not set. Run it through the AppHost, or set the PG* variables (or ConnectionStrings__hello).`
    : null;
}

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
    const where = `${process.env.PGHOST}:${process.env.PGPORT || 5432}/${process.env.PGDATABASE || process.env.PGUSER}`;
    console.error(`node-client could not read the hello row from ${where}: ${error.message}`);
    return error.code === '42P01' ? 4 : 3;
  } finally {
    await client.end().catch((error) => console.error(`closing the connection failed: ${error.message}`));
  }
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function main() {
  let said = null;
  for (;;) {
    const problem = configure();
    if (!problem) {
      const code = await readOnce();
      if (!stay) {
        return code;
      }
      if (code === 0) {
        break;
      }
      console.error(`node-client: reading the hello row again in ${retrySeconds} s (Hello__AfterRun=Stay).`);
    } else if (!stay) {
      console.error(`node-client cannot start: ${problem}`);
      return 2;
    } else if (problem !== said) {
      console.error(`node-client cannot read the hello row yet: ${problem} Trying again every ${retrySeconds} s (Hello__AfterRun=Stay).`);
      said = problem;
    }
    await sleep(retrySeconds);
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
