'use strict';
// The optional peers, as the package declares them: a new one is hidden and checked by the
// optional-peers spec without anyone having to remember this list.
const { peerDependenciesMeta } = require('../../../libs/event-bus/package.json');

module.exports = Object.entries(peerDependenciesMeta)
  .filter(([, meta]) => meta.optional)
  .map(([name]) => name);
