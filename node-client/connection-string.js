// A managed server reaches the client as one connection string (ConnectionStrings__hello, in the Key=Value form the
// .NET worker reads with Npgsql): the PG* variables node-postgres reads are derived from it, unless they are set
// already. Every keyword and synonym Npgsql takes for these settings is taken here, and Npgsql's defaults apply (port
// 5432, the database named after the user), so that a string the worker accepts is one this client accepts too.
'use strict';

// Npgsql's keywords and synonyms (NpgsqlConnectionStringBuilder), matched without case or spaces.
const variables = {
  host: 'PGHOST', server: 'PGHOST',
  port: 'PGPORT',
  database: 'PGDATABASE', db: 'PGDATABASE',
  username: 'PGUSER', userid: 'PGUSER', uid: 'PGUSER',
  password: 'PGPASSWORD', psw: 'PGPASSWORD', pwd: 'PGPASSWORD',
  sslmode: 'PGSSLMODE',
  requireauth: 'PGREQUIREAUTH',
};

// Npgsql's SSL Mode values, as libpq names them (which node-postgres reads from PGSSLMODE).
const sslModes = { disable: 'disable', allow: 'allow', prefer: 'prefer', require: 'require', verifyca: 'verify-ca', verifyfull: 'verify-full' };

// Npgsql's Require Auth values, as libpq names them (PGREQUIREAUTH; see require-auth.js).
const authMethods = { password: 'password', md5: 'md5', gss: 'gss', sspi: 'sspi', scramsha256: 'scram-sha-256', none: 'none' };

// Key=Value pairs separated by ';'; a value may be quoted ("…" or '…', the quote doubled inside). A quote that is
// never closed is an error, as it is for Npgsql.
const pair = /\s*([^=;]+?)\s*=\s*(?:"((?:[^"]|"")*)"|'((?:[^']|'')*)'|([^;"'][^;]*|))\s*(?:;|$)/y;

const normalize = (key) => key.toLowerCase().replace(/\s+/g, '');

function translate(variable, value) {
  switch (variable) {
    case 'PGSSLMODE': return sslModes[normalize(value).replace(/-/g, '')] || value.toLowerCase();
    case 'PGREQUIREAUTH': return value.split(',').map((method) => authMethods[normalize(method).replace(/-/g, '')] || method.trim().toLowerCase()).join(',');
    default: return value;
  }
}

function toPgEnvironment(connectionString) {
  const environment = {};
  const text = connectionString || '';
  let position = 0;
  let match;
  pair.lastIndex = 0;
  while (position < text.length && (match = pair.exec(text)) !== null) {
    position = pair.lastIndex;
    const variable = variables[normalize(match[1])];
    const value = match[2] !== undefined ? match[2].replace(/""/g, '"')
      : match[3] !== undefined ? match[3].replace(/''/g, "'")
        : match[4].trim();
    if (variable) {
      environment[variable] = translate(variable, value);
    }
  }
  if (text.slice(position).trim()) {
    // Where, never what: the rest may be part of the password.
    throw new Error(`its format is not Key=Value pairs separated by ';', starting at index ${position}`);
  }
  return environment;
}

function applyConnectionString(environment, name) {
  const connectionString = environment[`ConnectionStrings__${name}`];
  if (!connectionString) {
    return;
  }
  for (const [variable, value] of Object.entries(toPgEnvironment(connectionString))) {
    if (!environment[variable]) {
      environment[variable] = value;
    }
  }
  // Npgsql's defaults, for what the string left out.
  environment.PGPORT = environment.PGPORT || '5432';
  environment.PGDATABASE = environment.PGDATABASE || environment.PGUSER;
}

module.exports = { toPgEnvironment, applyConnectionString };
