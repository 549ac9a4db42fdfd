// A managed server reaches the client as one connection string (ConnectionStrings__hello, in the Key=Value form the
// .NET worker reads): the PG* variables node-postgres reads are derived from it, unless they are set already.
'use strict';

const variables = {
  host: 'PGHOST', server: 'PGHOST',
  port: 'PGPORT',
  username: 'PGUSER', 'user id': 'PGUSER', userid: 'PGUSER', user: 'PGUSER',
  password: 'PGPASSWORD',
  database: 'PGDATABASE',
  'ssl mode': 'PGSSLMODE', sslmode: 'PGSSLMODE',
};

// Key=Value pairs separated by ';'; a value may be quoted ("…" or '…', the quote doubled inside).
const pair = /\s*([^=;]+?)\s*=\s*(?:"((?:[^"]|"")*)"|'((?:[^']|'')*)'|([^;]*))\s*(?:;|$)/y;

function toPgEnvironment(connectionString) {
  const environment = {};
  pair.lastIndex = 0;
  let match;
  while (connectionString && pair.lastIndex < connectionString.length && (match = pair.exec(connectionString)) !== null) {
    const key = match[1].toLowerCase();
    const value = match[2] !== undefined ? match[2].replace(/""/g, '"')
      : match[3] !== undefined ? match[3].replace(/''/g, "'")
        : match[4].trim();
    if (variables[key]) {
      environment[variables[key]] = variables[key] === 'PGSSLMODE' ? value.toLowerCase() : value;
    }
  }
  return environment;
}

function applyConnectionString(environment, name) {
  for (const [variable, value] of Object.entries(toPgEnvironment(environment[`ConnectionStrings__${name}`]))) {
    if (!environment[variable]) {
      environment[variable] = value;
    }
  }
}

module.exports = { toPgEnvironment, applyConnectionString };
