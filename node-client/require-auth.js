// libpq 16's PGREQUIREAUTH for node-postgres, which has no such setting: with PGREQUIREAUTH=scram-sha-256 (the AppHost
// sets it for the servers it runs, which accept SCRAM only), a server that asks for the password in clear text or as
// an MD5 hash gets nothing, and the connection fails with a line that says why. Such a server is not the app's: it
// is whoever listens where the client was sent. Loaded before the tutorial's index.js (`node --require`), which stays
// as the tutorial wrote it.
'use strict';

const required = (process.env.PGREQUIREAUTH || '').trim().toLowerCase();
if (required) {
  const { Client } = require('pg');
  const refuse = (asked) => function refuseAuthentication() {
    this.connection.emit('error', new Error(
      `the server at ${this.host}:${this.port} asked for ${asked}, but PGREQUIREAUTH is ${required}: the password was not sent`));
  };
  if (!required.split(',').includes('password')) {
    Client.prototype._handleAuthCleartextPassword = refuse('the password in clear text');
  }
  if (!required.split(',').includes('md5')) {
    Client.prototype._handleAuthMD5Password = refuse('an MD5 password hash');
  }
}
