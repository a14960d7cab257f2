// Starts s3rver's command line (argv[2] is the node_modules directory
// holding s3rver; the rest are s3rver's options) with one fix for the
// tests: s3rver 3.7 lists keys in directory-walk order, but S3 lists
// them in byte order of the key and pages with "start after the last
// key", so a listing spanning pages loses keys such as "objects-sibling"
// next to "objects/…". Walking each directory in the order of the keys
// its entries stand for makes s3rver's order S3's.
'use strict';
const fs = require('fs');
const path = require('path');

const root = process.argv[2];
const utils = require(path.join(root, 's3rver', 'lib', 'utils'));
const SUFFIX = /\._S3rver_[A-Za-z.]+$/;

function sortKey(dir, name) {
  const isDir = fs.statSync(path.posix.join(dir, name)).isDirectory();
  return Buffer.from(isDir ? name + '/' : name.replace(SUFFIX, ''));
}

utils.walk = function* walk(dir, recurseFilter) {
  const names = fs.readdirSync(dir)
    .map(name => [sortKey(dir, name), name])
    .sort((a, b) => Buffer.compare(a[0], b[0]))
    .map(e => e[1]);
  for (const name of names) {
    const filePath = path.posix.join(dir, name);
    if (!fs.statSync(filePath).isDirectory()) {
      yield filePath;
    } else if (!recurseFilter || recurseFilter(filePath)) {
      yield* walk(filePath, recurseFilter);
    }
  }
};

process.argv.splice(2, 1);
require(path.join(root, 's3rver', 'bin', 's3rver.js'));
