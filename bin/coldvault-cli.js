#!/usr/bin/env node
// `npx coldvault ...`: the admin command (keys and users).
require('tsx/cjs');
require('../lambda/admin/cli.ts')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
