/* The blk test's SHA-256, shared: the app rule compiles only this directory. */
#include "tests/apps/blk/sha256.c"
